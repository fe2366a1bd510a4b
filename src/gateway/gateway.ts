import { randomUUID } from 'node:crypto'
import type { IncomingMessage, Server } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Logger } from 'pino'
import { WebSocketServer, type PerMessageDeflateOptions, type WebSocket } from 'ws'
import { createTokenVerifier } from '../auth/jwt.js'
import type { Bus } from '../bus/bus.js'
import type { Config } from '../config/config.js'
import { CloseCode } from '../protocol/errors.js'
import { unixSeconds } from '../protocol/serverMessages.js'
import type { StateStore } from '../state/stateStore.js'
import { createAdmission, type Admitted } from './admission.js'
import { createClient, sendJson, type Client } from './client.js'
import type { Policy } from './entitlements.js'
import { applyGrant } from './grants.js'
import { healthRoute } from './health.js'
import type { Route } from './http.js'
import { createHttpServer } from './httpServer.js'
import type { IpSlots } from './ipSlots.js'
import { createBusCounters, createHub, type Hub } from './hub.js'
import { countClientClose, countClose, createGatewayCounters, registerGatewayMetrics, type GatewayCounters } from './gatewayCounters.js'
import type { Metrics } from '../metrics/metrics.js'
import { createFlusher, createOutbox, createTraffic } from './outbox.js'
import { createRateLimiter } from './rateLimiter.js'
import { handleFrame, resynchronise, type SessionDeps } from './session.js'
import { startHeartbeat } from './heartbeat.js'

/** How long a slow consumer closed with 4008 may take to read its close frame before it is cut. */
const SLOW_CLOSE_GRACE_MS = 5000

export type GatewayConfig = Pick<
  Config,
  | 'HOST'
  | 'WS_PORT'
  | 'HEARTBEAT_INTERVAL_MS'
  | 'RECENT_TOKENS'
  | 'ROLE'
  | 'RATE_LIMIT_PER_MIN'
  | 'RATE_LIMIT_BURST'
  | 'RATE_LIMIT_CLOSE_AFTER'
  | 'RATE_LIMIT_PREMIUM_PER_MIN'
  | 'MAX_CONNECTIONS'
  | 'MAX_CONNECTIONS_PER_IP'
  | 'TRUST_PROXY'
  | 'ALLOWED_ORIGINS'
  | 'MAX_PAYLOAD_BYTES'
  | 'PER_MESSAGE_DEFLATE'
  | 'MAX_TOKENS_PER_CONNECTION'
  | 'MAX_TOKENS_PER_CONNECTION_PREMIUM'
  | 'MAX_QUEUED_BYTES'
  | 'JWT_SECRET'
  | 'JWT_JWKS_URL'
  | 'JWT_ISSUER'
  | 'JWT_AUDIENCE'
  | 'JWT_CLOCK_TOLERANCE_SEC'
>

export type GatewayOptions = {
  config: GatewayConfig
  bus: Bus
  state: StateStore
  logger: Logger
  /** Extra fields for /health (e.g. the indexer's status). */
  health?: () => Record<string, unknown>
  /** Extra HTTP routes (exact paths). */
  routes?: Record<string, Route>
  /** Where per-IP connection slots are counted (default: this process). */
  ipSlots?: IpSlots
  /** Besides its bus: whether the data to serve is there (upgrades get 503 `starting` until then). */
  ready?: () => boolean
  /** The process's metrics: the gateway registers its series there. */
  metrics?: Metrics
}

/** How a gateway stops: refuse new connections, let load balancers notice, then close clients spread over time. */
export type DrainOptions = {
  /** Wait this long after turning not-ready before closing anyone (the load balancer's check interval). */
  graceMs: number
  /** Close the clients spread over this long, so that they do not all reconnect at once. */
  spreadMs: number
  /** Terminate whoever is still connected after this long in all. */
  timeoutMs: number
  /** `1012` (service restart: reconnect now) in a drain, `1001` (going away) otherwise. */
  code: CloseCode
}

/** Counters of the limits at work. */
export type GatewayStats = {
  /** Clients closed with 4008 (slow consumer). */
  slowConsumers: number
  /** Clients closed with 1008 (kept sending past the rate limit). */
  floodCloses: number
  /** Upgrades refused, by error code. */
  refusedUpgrades: Readonly<Record<string, number>>
  /** Bytes queued in every client's outbox now (not yet handed to a socket). */
  queuedBytes: number
  /** The largest backlog of one client now: its queued bytes plus its socket's buffered bytes. */
  largestBacklogBytes: number
}

export type Gateway = {
  /** Starts listening; resolves to the bound port (useful with port 0). */
  listen(): Promise<number>
  /**
   * Stops: not ready at once, refuses new connections (`503 draining`), waits `graceMs`, closes the
   * clients with `code` spread over `spreadMs`, releases everything. Idempotent.
   */
  close(options?: Partial<DrainOptions>): Promise<void>
  connections(): number
  /** Accepting connections: its bus has an epoch, the data to serve is there, and it is not draining. */
  ready(): boolean
  /** Why it is not ready (`starting`, `draining`), or `ready`. */
  readiness(): 'ready' | 'starting' | 'draining'
  stats(): GatewayStats
  readonly server: Server
  readonly hub: Hub
}

/** permessage-deflate when enabled: no context takeover (bounded memory); inbound size bounded by maxPayload after inflation. */
function deflateOptions(enabled: boolean): PerMessageDeflateOptions | false {
  return enabled ? { threshold: 1024, serverNoContextTakeover: true, clientNoContextTakeover: true, concurrencyLimit: 10 } : false
}

/** Closes a client whose backlog passed MAX_QUEUED_BYTES (its queue is already dropped) and stops routing to it. */
function dropSlowConsumer(client: Client, hub: Hub, logger: Logger, counters: GatewayCounters): void {
  countClose(counters, client, 'slow_consumer')
  client.closing = true
  logger.warn({ clientId: client.id, ip: client.ip }, 'slow consumer: closing with 4008')
  hub.removeClient(client)
  client.ws.close(CloseCode.slowConsumer, 'slow consumer')
  const cut = setTimeout(() => client.ws.terminate(), SLOW_CLOSE_GRACE_MS)
  client.ws.once('close', () => clearTimeout(cut))
}

function policyOf(config: GatewayConfig, authEnabled: boolean): Policy {
  return {
    authEnabled,
    free: { ratePerMin: config.RATE_LIMIT_PER_MIN, maxTokens: config.MAX_TOKENS_PER_CONNECTION },
    premium: { ratePerMin: config.RATE_LIMIT_PREMIUM_PER_MIN, maxTokens: config.MAX_TOKENS_PER_CONNECTION_PREMIUM },
  }
}

/**
 * The HTTP + WebSocket front: one port, `/health`, the JSON protocol, heartbeats, and the limits
 * (admission, rate, subscriptions, slow consumers; see the README's Security section).
 *
 * @example
 * const gateway = createGateway({ config, bus, state, logger })
 * const port = await gateway.listen()
 */
export function createGateway(options: GatewayOptions): Gateway {
  const { config, bus, state, logger } = options
  const clients = new Set<Client>()
  const counters = createGatewayCounters()
  const traffic = createTraffic()
  const busCounters = createBusCounters()
  let epoch = bus.status().epoch ?? ''
  let draining = false
  const hub = createHub({
    bus,
    logger,
    counters: busCounters,
    ...(options.metrics ? { observeDelay: (channel: string, seconds: number) => options.metrics!.deliveryDelay.observe({ channel }, seconds) } : {}),
    onBroken(channel, reason, current, seq) {
      if (reason === 'epoch') epoch = current
      for (const client of [...hub.members(channel)]) resynchronise(deps, client, channel, current, seq)
    },
  })
  const verifier = createTokenVerifier({
    secret: config.JWT_SECRET,
    jwksUrl: config.JWT_JWKS_URL,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    clockToleranceSec: config.JWT_CLOCK_TOLERANCE_SEC,
  })
  const policy = policyOf(config, verifier !== null)
  const onGrantError = (err: unknown, client: Client) => logger.error({ err, clientId: client.id }, 'token expiry failed')
  const grants = { hub, policy, toleranceSec: config.JWT_CLOCK_TOLERANCE_SEC, onError: onGrantError }
  const deps: SessionDeps = {
    hub,
    bus,
    state,
    logger,
    recentTokens: config.RECENT_TOKENS,
    policy,
    verifier,
    grants,
    onClose: (client, reason) => countClose(counters, client, reason),
    onRateLimited: () => void counters.rateLimited++,
    onAuthFailure: () => void counters.authFailures++,
  }
  let busReady = false
  const dataReady = options.ready ?? (() => true)
  const readiness = () => (draining ? 'draining' : busReady && dataReady() ? 'ready' : 'starting')
  const admission = createAdmission({ config, verifier, logger, ready: () => busReady && dataReady(), ...(options.ipSlots ? { ipSlots: options.ipSlots } : {}) })
  const flusher = createFlusher((err) => logger.error({ err }, 'flushing a client failed'))
  const wss = new WebSocketServer({ noServer: true, maxPayload: config.MAX_PAYLOAD_BYTES, perMessageDeflate: deflateOptions(config.PER_MESSAGE_DEFLATE) })

  const health = healthRoute({ role: config.ROLE, bus, connections: () => clients.size, ...(options.health ? { extra: options.health } : {}) })
  const http = createHttpServer({ host: config.HOST, port: config.WS_PORT, routes: { ...options.routes, '/health': health }, logger })
  const server = http.server
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    admission.admit(req, socket).then(
      (admitted) => admitted && wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, socket, admitted)),
      (err: unknown) => {
        logger.error({ err }, 'upgrade failed')
        socket.destroy()
      },
    )
  })

  function onConnection(ws: WebSocket, socket: Duplex, { ip, grant }: Admitted): void {
    const limiter = createRateLimiter({ perMinute: config.RATE_LIMIT_PER_MIN, burst: config.RATE_LIMIT_BURST, closeAfter: config.RATE_LIMIT_CLOSE_AFTER })
    const onOverflow = () => queueMicrotask(() => dropSlowConsumer(client, hub, logger, counters))
    const outbox = createOutbox({ ws, socket, maxBytes: config.MAX_QUEUED_BYTES, flusher, onOverflow, traffic })
    const client = createClient({ id: randomUUID(), ws, ip, outbox, limiter })
    clients.add(client)
    if (grant) applyGrant(grants, client, grant)
    ws.on('pong', () => (client.alive = true))
    ws.on('message', (data, isBinary) => handleFrame(deps, client, data, isBinary))
    ws.on('error', (err) => logger.debug({ err, clientId: client.id }, 'client socket error'))
    ws.on('close', (code) => {
      countClientClose(counters, client, code)
      clients.delete(client)
      client.cancelExpiry?.()
      outbox.discard()
      hub.removeClient(client)
    })
    const tier = verifier ? { tier: client.tier, expiresAt: client.expiresAt } : {}
    sendJson(client, { type: 'connected', clientId: client.id, timestamp: unixSeconds(), epoch: bus.status().epoch ?? epoch, ...tier })
  }

  const stopHeartbeat = startHeartbeat(clients, config.HEARTBEAT_INTERVAL_MS, logger, (client) => countClose(counters, client, 'heartbeat'))

  /**
   * Reads the bus's epoch; until there is one (Redis unreachable, or no indexer has initialised it),
   * upgrades are refused with 503 `starting` and this retries in the background.
   */
  async function joinBus(): Promise<void> {
    try {
      epoch = await bus.epoch()
      busReady = true
    } catch (err) {
      logger.warn({ err: { message: (err as Error).message } }, 'the bus is not ready; refusing connections with 503 starting until it is')
      const retry = setInterval(() => {
        bus.epoch().then((e) => {
          clearInterval(retry)
          epoch = e
          busReady = true
          logger.info({ epoch }, 'the bus is ready; accepting connections')
        }, () => {})
      }, 500)
      retry.unref()
      stopJoining = () => clearInterval(retry)
    }
  }
  let stopJoining = () => {}

  if (options.metrics) registerGatewayMetrics(options.metrics, { clients, hub, counters, traffic, bus: busCounters, refused: admission.refused, ready: () => readiness() === 'ready' })

  let closing: Promise<void> | undefined
  async function close({ graceMs = 0, spreadMs = 0, timeoutMs = 5000, code = CloseCode.goingAway }: Partial<DrainOptions> = {}): Promise<void> {
    draining = true
    const started = Date.now()
    stopJoining()
    admission.stop()
    if (graceMs > 0) await new Promise((resolve) => setTimeout(resolve, graceMs))
    stopHeartbeat()
    const reason = code === CloseCode.serviceRestart ? 'restart' : 'shutdown'
    logger.info({ clients: clients.size, code, spreadMs }, 'closing clients')
    const cut = setTimeout(() => clients.forEach((c) => c.ws.terminate()), Math.max(0, timeoutMs - (Date.now() - started)))
    await closeSpread([...clients], spreadMs, (client) => {
      countClose(counters, client, reason)
      client.outbox.end(code, code === CloseCode.serviceRestart ? 'service restart: reconnect' : 'server shutting down')
    })
    clearTimeout(cut)
    hub.close()
    wss.close()
    // Listening until now: /ready kept answering 503 draining, upgrades 503, during the whole drain.
    await http.close()
  }

  return {
    server,
    hub,
    connections: () => clients.size,
    ready: () => readiness() === 'ready',
    readiness,
    stats: () => ({
      slowConsumers: counters.closed.slow_consumer ?? 0,
      floodCloses: counters.closed.rate_limit ?? 0,
      refusedUpgrades: admission.refused(),
      queuedBytes: [...clients].reduce((n, c) => n + c.outbox.queuedBytes(), 0),
      largestBacklogBytes: [...clients].reduce((n, c) => Math.max(n, c.outbox.queuedBytes() + c.ws.bufferedAmount), 0),
    }),
    async listen() {
      const port = await http.listen()
      await joinBus()
      return port
    },
    close: (drain) => (closing ??= close(drain)),
  }
}

/**
 * Closes `clients` spread evenly over `spreadMs` (at once when 0), and resolves when every one of
 * them has closed (or was terminated).
 */
async function closeSpread(clients: Client[], spreadMs: number, closeOne: (client: Client) => void): Promise<void> {
  const gone = clients.map((c) => new Promise<void>((resolve) => (c.ws.readyState === c.ws.CLOSED ? resolve() : c.ws.once('close', () => resolve()))))
  const step = clients.length > 1 ? spreadMs / (clients.length - 1) : 0
  clients.forEach((client, i) => {
    if (step === 0 || i === 0) closeOne(client)
    else setTimeout(() => client.ws.readyState === client.ws.OPEN && closeOne(client), i * step)
  })
  await Promise.all(gone)
}
