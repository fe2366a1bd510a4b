import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Logger } from 'pino'
import { WebSocketServer, type WebSocket } from 'ws'
import type { Bus } from '../bus/bus.js'
import type { Config } from '../config/config.js'
import { CloseCode } from '../protocol/errors.js'
import { unixSeconds } from '../protocol/serverMessages.js'
import type { StateStore } from '../state/stateStore.js'
import { createClient, sendJson, type Client } from './client.js'
import { createHttpHandler, sendJsonResponse, type Route } from './http.js'
import { createHub, type Hub } from './hub.js'
import { handleFrame, type SessionDeps } from './session.js'

export type GatewayOptions = {
  config: Pick<Config, 'HOST' | 'WS_PORT' | 'HEARTBEAT_INTERVAL_MS' | 'RECENT_TOKENS' | 'ROLE'>
  bus: Bus
  state: StateStore
  logger: Logger
  /** Extra fields for /health (e.g. the indexer's status). */
  health?: () => Record<string, unknown>
  /** Extra HTTP routes (exact paths). */
  routes?: Record<string, Route>
}

export type Gateway = {
  /** Starts listening; resolves to the bound port (useful with port 0). */
  listen(): Promise<number>
  /** Stops accepting, closes every client with 1001 and releases everything. Idempotent. */
  close(timeoutMs?: number): Promise<void>
  connections(): number
  readonly server: Server
  readonly hub: Hub
}

/**
 * The HTTP + WebSocket front: one port, `/health`, the JSON protocol, heartbeats.
 *
 * @example
 * const gateway = createGateway({ config, bus, state, logger })
 * const port = await gateway.listen()
 */
export function createGateway(options: GatewayOptions): Gateway {
  const { config, bus, state, logger } = options
  const startedAt = Date.now()
  const clients = new Set<Client>()
  const hub = createHub({ bus, logger })
  const deps: SessionDeps = { hub, bus, state, logger, recentTokens: config.RECENT_TOKENS }
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false })

  const health: Route = (_req, res) =>
    sendJsonResponse(res, 200, {
      status: 'ok',
      connections: clients.size,
      uptime: Math.floor((Date.now() - startedAt) / 1000),
      timestamp: new Date().toISOString(),
      role: config.ROLE,
      ...options.health?.(),
    })
  const server = createServer(createHttpHandler({ ...options.routes, '/health': health }, (err) => logger.error({ err }, 'http route failed')))
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, req))
  })

  function onConnection(ws: WebSocket, req: IncomingMessage): void {
    const client = createClient(randomUUID(), ws, req.socket.remoteAddress ?? 'unknown')
    clients.add(client)
    ws.on('pong', () => (client.alive = true))
    ws.on('message', (data, isBinary) => handleFrame(deps, client, data, isBinary))
    ws.on('error', (err) => logger.debug({ err, clientId: client.id }, 'client socket error'))
    ws.on('close', () => {
      clients.delete(client)
      hub.removeClient(client)
    })
    sendJson(client, { type: 'connected', clientId: client.id, timestamp: unixSeconds() })
  }

  const heartbeat = setInterval(() => {
    for (const client of clients) {
      if (!client.alive) {
        logger.debug({ clientId: client.id }, 'client missed a heartbeat; terminating')
        client.ws.terminate()
        continue
      }
      client.alive = false
      client.ws.ping()
    }
  }, config.HEARTBEAT_INTERVAL_MS)
  heartbeat.unref()

  let closing: Promise<void> | undefined
  async function close(timeoutMs = 5000): Promise<void> {
    clearInterval(heartbeat)
    const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()))
    const gone = [...clients].map((c) => new Promise<void>((resolve) => (c.ws.readyState === c.ws.CLOSED ? resolve() : c.ws.once('close', () => resolve()))))
    for (const client of clients) client.ws.close(CloseCode.goingAway, 'server shutting down')
    const timer = setTimeout(() => clients.forEach((c) => c.ws.terminate()), timeoutMs)
    await Promise.all(gone)
    clearTimeout(timer)
    server.closeAllConnections()
    hub.close()
    wss.close()
    await serverClosed
  }

  return {
    server,
    hub,
    connections: () => clients.size,
    listen: () =>
      new Promise<number>((resolve, reject) => {
        server.once('error', reject)
        server.listen(config.WS_PORT, config.HOST, () => {
          server.off('error', reject)
          const address = server.address()
          resolve(typeof address === 'object' && address ? address.port : config.WS_PORT)
        })
      }),
    close: (timeoutMs) => (closing ??= close(timeoutMs)),
  }
}
