import { channels } from '../protocol/items.js'
import { CloseCode } from '../protocol/errors.js'
import { byLabel, type Metrics } from '../metrics/metrics.js'
import type { Client } from './client.js'
import type { BusCounters, Hub } from './hub.js'
import type { Traffic } from './outbox.js'

/** Why a client's connection ended. */
export type CloseReason = 'slow_consumer' | 'rate_limit' | 'heartbeat' | 'payload' | 'invalid_utf8' | 'protocol' | 'shutdown' | 'restart' | 'renumbered' | 'client'

/** The gateway's counters: the one source of `/metrics` and `/health`. */
export type GatewayCounters = {
  closed: Partial<Record<CloseReason, number>>
  /** Messages refused over the rate limit (`rate_limited`). */
  rateLimited: number
  /** Tokens refused in an `auth` message (on the upgrade: the `unauthorized` refusals). */
  authFailures: number
}

export function createGatewayCounters(): GatewayCounters {
  return { closed: {}, rateLimited: 0, authFailures: 0 }
}

/** Counts a close the server decided, once, when it decides (a slow client may take seconds to go). */
export function countClose(counters: GatewayCounters, client: Client, reason: CloseReason): void {
  if (client.closedBy) return
  client.closedBy = reason
  counters.closed[reason] = (counters.closed[reason] ?? 0) + 1
}

/** Counts a close the server did not decide, by its code, when the socket closes. */
export function countClientClose(counters: GatewayCounters, client: Client, code: number): void {
  if (client.closedBy) return
  const reason = closeReason(code)
  counters.closed[reason] = (counters.closed[reason] ?? 0) + 1
}

function closeReason(code: number): CloseReason {
  if (code === CloseCode.messageTooBig) return 'payload'
  if (code === CloseCode.invalidPayload) return 'invalid_utf8'
  if (code === CloseCode.protocolError) return 'protocol'
  return 'client'
}

export type GatewayView = {
  clients: ReadonlySet<Client>
  hub: Hub
  counters: GatewayCounters
  traffic: Traffic
  bus: BusCounters
  refused: () => Readonly<Record<string, number>>
  ready: () => boolean
}

/**
 * Registers the gateway's series (`cmws_gateway_*`, `cmws_bus_*` of what it received), read from
 * its counters at scrape time.
 *
 * @example
 * registerGatewayMetrics(metrics, { clients, hub, counters, traffic, bus, refused: admission.refused, ready })
 */
export function registerGatewayMetrics(metrics: Metrics, g: GatewayView): void {
  metrics.gauge('cmws_gateway_connections', 'Open WebSocket connections, by tier', ['tier'], () => {
    const tiers: Record<string, number> = { free: 0, premium: 0 }
    for (const c of g.clients) tiers[c.tier] = (tiers[c.tier] ?? 0) + 1
    return byLabel('tier', tiers)
  })
  metrics.gauge('cmws_gateway_subscriptions', 'Clients subscribed, per channel', ['channel'], () => channels.map((c) => [{ channel: c }, g.hub.subscriberCount(c)] as const))
  metrics.gauge('cmws_gateway_ready', '1 while the gateway accepts connections (GET /ready answers 200)', [], () => (g.ready() ? 1 : 0))
  metrics.counter('cmws_gateway_messages_sent_total', 'Channel messages queued to clients (data, snapshots, reorg notices), per channel', ['channel'], () => byLabel('channel', g.traffic.messages))
  metrics.counter('cmws_gateway_sent_bytes_total', 'Bytes of channel messages queued to clients, per channel', ['channel'], () => byLabel('channel', g.traffic.bytes))
  metrics.counter('cmws_gateway_frames_replaced_total', 'Price ticks of a client that was behind, replaced by a newer one before being sent', [], () => g.traffic.replaced)
  metrics.counter('cmws_gateway_clients_closed_total', 'Connections that ended, by reason', ['reason'], () => byLabel('reason', g.counters.closed))
  metrics.counter('cmws_gateway_rate_limited_total', 'Client messages refused over the rate limit', [], () => g.counters.rateLimited)
  metrics.counter('cmws_gateway_auth_failures_total', 'Tokens refused, on the upgrade (HTTP 401) or in an auth message', ['where'], () => [
    [{ where: 'upgrade' }, g.refused()['unauthorized'] ?? 0],
    [{ where: 'message' }, g.counters.authFailures],
  ])
  metrics.counter('cmws_gateway_upgrades_refused_total', 'WebSocket upgrades refused, by error code', ['reason'], () => byLabel('reason', g.refused()))
  metrics.gauge('cmws_gateway_queued_bytes', 'Bytes waiting in the clients\u2019 send queues', [], () => [...g.clients].reduce((n, c) => n + c.outbox.queuedBytes(), 0))
  metrics.counter('cmws_bus_received_messages_total', 'Bus messages this gateway routed, per channel', ['channel'], () => byLabel('channel', g.bus.received))
  metrics.counter('cmws_bus_gap_fills_total', 'Bus messages read back from history to fill a gap, per channel', ['channel'], () => byLabel('channel', g.bus.filled))
  metrics.counter('cmws_bus_renumbered_total', 'Times a channel\u2019s subscribers were re-synchronised (new epoch, or an unfillable gap)', ['channel', 'reason'], () =>
    Object.entries(g.bus.renumbered).map(([key, n]) => {
      const [channel, reason] = key.split(':')
      return [{ channel: channel!, reason: reason! }, n] as const
    }),
  )
}
