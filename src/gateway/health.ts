import type { Bus } from '../bus/bus.js'
import type { Config } from '../config/config.js'
import { sendJsonResponse, type Route } from './http.js'

export type HealthOptions = {
  role: Config['ROLE']
  /** The bus whose status is shown (for an indexer, with the epoch its ledger commits under). */
  bus: Pick<Bus, 'status'>
  /** Open WebSocket connections (0 where none are served). */
  connections: () => number
  /** Extra fields (e.g. the indexer's status). */
  extra?: () => Record<string, unknown>
}

/**
 * `GET /health` in the original README's shape (`status`, `connections`, `uptime`, `timestamp`) plus
 * the role and the bus (memory or Redis, connected, epoch).
 *
 * @example
 * routes['/health'] = healthRoute({ role: 'gateway', bus, connections: () => clients.size })
 */
export function healthRoute({ role, bus, connections, extra }: HealthOptions): Route {
  const startedAt = Date.now()
  return (_req, res) =>
    sendJsonResponse(res, 200, {
      status: 'ok',
      connections: connections(),
      uptime: Math.floor((Date.now() - startedAt) / 1000),
      timestamp: new Date().toISOString(),
      role,
      bus: bus.status(),
      ...extra?.(),
    })
}
