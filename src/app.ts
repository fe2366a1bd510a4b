import type { Logger } from 'pino'
import type { Bus } from './bus/bus.js'
import { createMemoryBus } from './bus/memoryBus.js'
import { openChainSource, type ChainSource } from './chainSource.js'
import type { AlertThresholds } from './alerts/rules.js'
import type { Config } from './config/config.js'
import type { ChainSettings } from './config/networks.js'
import { createGateway, type Gateway } from './gateway/gateway.js'
import { staticRoutes } from './gateway/static.js'
import { tokenRoutes } from './gateway/tokenRoutes.js'
import { runIndexer, type RunningIndexer } from './indexer/runIndexer.js'
import { createMemoryStateStore, type WritableStateStore } from './state/stateStore.js'

export type App = {
  /** Starts every part this process runs; resolves to the bound port. */
  start(): Promise<number>
  /** Releases everything, in reverse order of start. Idempotent. */
  stop(): Promise<void>
  readonly bus: Bus
  readonly state: WritableStateStore
  readonly gateway: Gateway
  /** The chain being followed, once started (null without a chain). */
  chain(): ChainSource | null
}

/**
 * Wires the parts of one process from the config: bus, state store, gateway, and the chain indexer.
 *
 * @example
 * const app = createApp(config, logger)
 * const port = await app.start()
 */
export function createApp(config: Config, logger: Logger): App {
  const bus = createMemoryBus({ historySize: config.HISTORY_SIZE, logger })
  const state = createMemoryStateStore({ recentLimit: config.RECENT_TOKENS })
  let source: ChainSource | null = null
  let indexer: RunningIndexer | null = null
  const gateway = createGateway({
    config,
    bus,
    state,
    logger,
    health: () => (indexer ? { chain: jsonSafe(indexer.status()) } : {}),
    routes: { ...tokenRoutes(state, config.RECENT_TOKENS), ...staticRoutes() },
  })
  let stopping: Promise<void> | undefined

  async function startChain(): Promise<void> {
    if (config.ROLE === 'gateway') return
    source = await openChainSource(config, logger)
    if (!source) {
      logger.warn('no chain configured (CORE_NETWORK=none): serving the protocol with nothing to publish')
      return
    }
    indexer = await runIndexer({
      settings: source.settings,
      bus,
      state,
      checkpoint: source.checkpoint,
      logger,
      ...(config.START_BLOCK !== undefined ? { startBlock: BigInt(config.START_BLOCK) } : {}),
      backfillBlocks: config.BACKFILL_BLOCKS,
      maxBlockRange: config.MAX_BLOCK_RANGE,
      thresholds: alertThresholds(config, source.settings),
    })
  }

  async function stop(): Promise<void> {
    await gateway.close(config.SHUTDOWN_TIMEOUT_MS)
    await indexer?.stop()
    await source?.stop()
    await bus.close()
  }

  return {
    bus,
    state,
    gateway,
    chain: () => source,
    async start() {
      const port = await gateway.listen()
      logger.info({ port, host: config.HOST, role: config.ROLE }, `listening on ws://localhost:${port}`)
      await startChain()
      if (source) logger.info({ rpcUrl: source.settings.rpcUrl, network: source.settings.network }, `streaming ${source.settings.network} data on ws://localhost:${port}`)
      return port
    },
    stop: () => (stopping ??= stop()),
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

/** Status objects hold bigints; /health is JSON. */
function jsonSafe(value: object): Record<string, unknown> {
  return JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v))) as Record<string, unknown>
}
