import type { Logger } from 'pino'
import type { AlertThresholds } from './alerts/rules.js'
import type { Bus } from './bus/bus.js'
import { createMemoryBus } from './bus/memoryBus.js'
import { createRedisBus } from './bus/redisBus.js'
import { openChainSource, type ChainSource } from './chainSource.js'
import type { Config } from './config/config.js'
import type { ChainSettings } from './config/networks.js'
import { refuseUpgrade } from './gateway/admission.js'
import { createGateway, type Gateway } from './gateway/gateway.js'
import { healthRoute } from './gateway/health.js'
import { createHttpServer, type HttpServer } from './gateway/httpServer.js'
import { createRedisIpSlots } from './gateway/ipSlots.js'
import { staticRoutes } from './gateway/static.js'
import { clientRoutes } from './gateway/clientModules.js'
import { tokenRoutes } from './gateway/tokenRoutes.js'
import { runIndexer, type RunningIndexer } from './indexer/runIndexer.js'
import type { Ledger } from './ledger/ledger.js'
import { createMemoryLedger } from './ledger/memoryLedger.js'
import { createStateFile } from './ledger/stateFile.js'
import { createLeadership } from './indexer/leadership.js'
import { selectedNetwork } from './config/networks.js'
import { createRedisLedger } from './ledger/redisLedger.js'
import { CloseCode, ErrorCode } from './protocol/errors.js'
import { createMetrics, type Metrics } from './metrics/metrics.js'
import { registerProcessMetrics } from './metrics/processMetrics.js'
import { metricsRoute, readyRoute, type Readiness } from './gateway/opsRoutes.js'
import type { Route } from './gateway/http.js'
import { createRedisConnection, type RedisConnection } from './redis/connection.js'
import type { RiskOptions } from './risk/blockRisk.js'
import { createMemoryStateStore } from './state/memoryStateStore.js'
import { createRedisStateStore } from './state/redisStateStore.js'
import type { StateStore } from './state/stateStore.js'

export type App = {
  /** Starts every part this process runs; resolves to the bound port. */
  start(): Promise<number>
  /** Releases everything, in reverse order of start. Idempotent. */
  stop(): Promise<void>
  readonly bus: Bus
  /** The read model gateways serve (memory, or Redis). */
  readonly state: StateStore
  /** Where the indexer commits blocks; null for `ROLE=gateway`. */
  readonly ledger: Ledger | null
  /** The WebSocket gateway; null for `ROLE=indexer`. */
  readonly gateway: Gateway | null
  /** The chain being followed, once started (null without a chain). */
  chain(): ChainSource | null
  /** Serving: the gateway accepts connections (or, for `ROLE=indexer`, the indexer has caught up or stands by). */
  ready(): boolean
  readonly metrics: Metrics
}

type Backend = {
  bus: Bus
  state: StateStore
  ledger: Ledger | null
  redis: RedisConnection | null
  /** Without Redis: journal the indexer's state to this file (a chain that outlives the process). */
  useStateFile(path: string): void
}

/** Memory (one process) or Redis (many): the bus, the read model and, where an indexer runs, the ledger. */
function createBackend(config: Config, logger: Logger): Backend {
  const indexes = config.ROLE !== 'gateway'
  if (!config.REDIS_URL) {
    const bus = createMemoryBus({ historySize: config.HISTORY_SIZE, logger })
    const state = createMemoryStateStore({ recentLimit: config.RECENT_TOKENS, seqOf: bus.seqOf })
    let ledger: Ledger | null = indexes ? createMemoryLedger(bus, state) : null
    const useStateFile = (path: string) => void (ledger = indexes ? createMemoryLedger(bus, state, createStateFile(path)) : null)
    return { bus, state, get ledger() { return ledger }, redis: null, useStateFile }
  }
  const redis = createRedisConnection({ url: config.REDIS_URL, prefix: config.REDIS_PREFIX, logger, name: config.ROLE })
  const limits = { historySize: config.HISTORY_SIZE, ttlSec: config.REDIS_TOKEN_TTL_SEC, recentLimit: config.RECENT_TOKENS, tradesPerToken: 200 }
  const mirror = createMemoryStateStore({ recentLimit: config.RECENT_TOKENS, seqOf: () => 0 })
  return {
    bus: createRedisBus({ redis, historySize: config.HISTORY_SIZE, logger }),
    state: createRedisStateStore(redis),
    ledger: indexes ? createRedisLedger({ redis, limits, mirror, logger }) : null,
    redis,
    useStateFile: () => {},
  }
}

/**
 * Wires the parts of one process from the config: bus, read model and ledger (memory, or Redis with
 * `REDIS_URL`), the gateway (`ROLE=all|gateway`) and the chain indexer (`ROLE=all|indexer`).
 *
 * @example
 * const app = createApp(config, logger)
 * const port = await app.start()
 */
export function createApp(config: Config, logger: Logger): App {
  const backend = createBackend(config, logger)
  const { bus, state, redis } = backend
  const noChain = selectedNetwork(config) === 'none'
  const metrics = createMetrics()
  let source: ChainSource | null = null
  let indexer: RunningIndexer | null = null
  let stopping: Promise<void> | undefined
  /** A process without a gateway: ready when its indexer leads and caught up, or stands by. */
  const indexerReadiness = (): Readiness => {
    if (stopping) return 'draining'
    if (noChain) return 'ready'
    const s = indexer?.status()
    return s && (s.ready || s.role === 'standby') && (!redis || redis.connected()) ? 'ready' : 'starting'
  }
  const readiness = (): Readiness => (gateway ? gateway.readiness() : indexerReadiness())
  const health = () => ({ readiness: readiness(), ...(indexer ? { chain: indexer.status() } : {}) })
  const opsRoutes = { '/ready': readyRoute(readiness), '/metrics': metricsRoute(metrics, config.METRICS_TOKEN) }
  const gateway =
    config.ROLE === 'indexer'
      ? null
      : createGateway({
          config,
          bus,
          state,
          logger,
          health,
          routes: { ...tokenRoutes(state, config.RECENT_TOKENS), ...staticRoutes(), ...browserClient(logger), ...opsRoutes },
          metrics,
          // One process without Redis serves once its own indexer has caught up (never an empty snapshot).
          ...(redis || config.ROLE === 'gateway' ? {} : { ready: () => noChain || (indexer?.ready() ?? false) }),
          ...(redis ? { ipSlots: createRedisIpSlots({ redis, limit: config.MAX_CONNECTIONS_PER_IP, logger }) } : {}),
        })
  const healthOnly: HttpServer | null = gateway ? null : indexerHttp(config, { status: () => ({ ...bus.status(), epoch: backend.ledger!.status().epoch }) }, health, opsRoutes, logger)
  registerProcessMetrics(metrics, { bus, redis, ledger: () => backend.ledger, indexer: () => indexer })

  async function startChain(): Promise<void> {
    if (!backend.ledger) return
    source = await openChainSource(config, logger)
    if (!source) {
      logger.warn('no chain configured (CORE_NETWORK=none): serving the protocol with nothing to publish')
      return
    }
    if (source.stateFile) backend.useStateFile(source.stateFile)
    indexer = await runIndexer({
      settings: source.settings,
      ledger: backend.ledger!,
      leadership: redis ? createLeadership({ redis, ttlMs: config.LEADER_TTL_MS, logger }) : null,
      logger,
      ...(config.START_BLOCK !== undefined ? { startBlock: BigInt(config.START_BLOCK) } : {}),
      backfillBlocks: config.BACKFILL_BLOCKS,
      maxBlockRange: config.MAX_BLOCK_RANGE,
      step: { thresholds: alertThresholds(config, source.settings), repricePercent: config.USD_REPRICE_PERCENT, ...(config.RISK_TRACKING ? { risk: riskOptions(config) } : {}) },
      riskReading: { historyBlocks: config.RISK_HISTORY_BLOCKS ?? source.settings.dayBlocks, sellCheckBlocks: config.RISK_SELL_CHECK_BLOCKS, sellChecksPerBlock: config.RISK_SELL_CHECKS_PER_BLOCK },
      metrics,
    })
  }

  /** A drain: not ready at once, then clients closed with 1012 spread over DRAIN_SPREAD_MS (see README, Operations). */
  async function stop(): Promise<void> {
    const drain = { graceMs: config.DRAIN_GRACE_MS, spreadMs: config.DRAIN_SPREAD_MS, timeoutMs: config.SHUTDOWN_TIMEOUT_MS - 500, code: CloseCode.serviceRestart }
    await gateway?.close(drain)
    await healthOnly?.close()
    await backend.ledger?.close()
    await indexer?.stop()
    await source?.stop()
    await bus.close()
    await redis?.close()
  }

  return {
    bus,
    state,
    get ledger() {
      return backend.ledger
    },
    gateway,
    chain: () => source,
    ready: () => readiness() === 'ready',
    metrics,
    async start() {
      if (redis && !redis.connected()) {
        logger.info({ url: redactUrl(config.REDIS_URL!) }, 'waiting for redis')
        await redis.ready()
      }
      await backend.ledger?.start({ create: noChain })
      const port = await (gateway ?? healthOnly!).listen()
      logger.info({ port, host: config.HOST, role: config.ROLE, bus: redis ? 'redis' : 'memory' }, gateway ? `listening on ws://localhost:${port}` : `indexer health on http://localhost:${port}/health`)
      await startChain()
      if (source && gateway) logger.info({ rpcUrl: source.settings.rpcUrl, network: source.settings.network }, `streaming ${source.settings.network} data on ws://localhost:${port}`)
      return port
    },
    stop: () => (stopping ??= stop()),
  }
}

/** `ROLE=indexer` serves `/health`, `/ready` and `/metrics` only; WebSocket upgrades are refused (connect to a gateway). */
function indexerHttp(config: Config, bus: Pick<Bus, 'status'>, extra: () => Record<string, unknown>, routes: Record<string, Route>, logger: Logger): HttpServer {
  const http = createHttpServer({ host: config.HOST, port: config.WS_PORT, routes: { ...routes, '/health': healthRoute({ role: config.ROLE, bus, connections: () => 0, extra }) }, logger })
  http.server.on('upgrade', (_req, socket) => refuseUpgrade(socket, ErrorCode.notFound, 'this process is an indexer (ROLE=indexer): connect to a gateway'))
  return http
}

/** The typed client's modules for browsers (`/client/index.js`); none (and a warning) if they cannot be read. */
function browserClient(logger: Logger): Record<string, Route> {
  try {
    return clientRoutes()
  } catch (err) {
    logger.warn({ err }, 'the browser client (/client/index.js) is not served: its modules could not be read')
    return {}
  }
}

/** The alert rules' thresholds: env values, with the network's USD scale where env is silent. */
export function alertThresholds(config: Config, settings: ChainSettings): AlertThresholds {
  return {
    pricePercent: config.ALERT_PRICE_PERCENT,
    priceWindowSec: config.ALERT_PRICE_WINDOW_SEC,
    volumeMultiplier: config.ALERT_VOLUME_MULTIPLIER,
    volumeWindowSec: config.ALERT_VOLUME_WINDOW_SEC,
    volumeMinUsd: settings.volumeMinUsd,
    whaleUsd: settings.whaleUsd,
    whalePoolPercent: config.ALERT_WHALE_POOL_PERCENT,
    rugPercent: config.ALERT_RUG_PERCENT,
    rugWindowSec: config.ALERT_RUG_WINDOW_SEC,
    rugSellPercent: config.ALERT_RUG_SELL_PERCENT,
    cooldownSec: config.ALERT_COOLDOWN_SEC,
  }
}

/** Launch intelligence's settings and `risk` alert thresholds (README: "Launch risk"). */
export function riskOptions(config: Config): RiskOptions {
  return {
    sniperBlocks: config.SNIPER_BLOCKS,
    idleSeconds: Math.round(config.RISK_TRACK_DAYS * 86_400),
    thresholds: {
      sniperPercent: config.ALERT_RISK_SNIPER_PERCENT,
      devDumpPercent: config.ALERT_RISK_DEV_DUMP_PERCENT,
      lpPullPercent: config.ALERT_RISK_LP_PULL_PERCENT,
      cooldownSec: config.ALERT_COOLDOWN_SEC,
    },
  }
}

/** A URL without its password, for logs. */
function redactUrl(url: string): string {
  const u = new URL(url)
  if (u.password) u.password = '***'
  return u.toString()
}
