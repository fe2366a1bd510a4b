import type { Bus } from '../bus/bus.js'
import type { RunningIndexer } from '../indexer/runIndexer.js'
import type { Ledger } from '../ledger/ledger.js'
import type { RedisConnection } from '../redis/connection.js'
import { byLabel, type Metrics } from './metrics.js'

export type ProcessParts = {
  bus: Bus
  redis: RedisConnection | null
  ledger: () => Ledger | null
  indexer: () => RunningIndexer | null
}

/**
 * Registers the series of the bus connection, the ledger and the indexer (`cmws_redis_*`,
 * `cmws_bus_published_*`, `cmws_chain_*`, `cmws_indexer_*`), read from their status at scrape time
 * — the same numbers `/health` shows.
 *
 * @example
 * registerProcessMetrics(metrics, { bus, redis, ledger: () => ledger, indexer: () => indexer })
 */
export function registerProcessMetrics(metrics: Metrics, parts: ProcessParts): void {
  const chain = () => parts.indexer()?.status()
  metrics.gauge('cmws_bus_connected', '1 while the bus is connected (memory: always)', ['kind'], () => [[{ kind: parts.bus.status().kind }, parts.bus.status().connected ? 1 : 0]])
  const redis = parts.redis
  metrics.gauge('cmws_redis_connected', '1 while the Redis connection is ready (no samples without REDIS_URL)', ['connection'], () =>
    redis
      ? [
          [{ connection: 'commands' }, redis.connected() ? 1 : 0],
          [{ connection: 'pubsub' }, redis.subscriberConnected() ? 1 : 0],
        ]
      : [],
  )
  metrics.counter('cmws_bus_published_messages_total', 'Bus messages this process published (committed), per channel', ['channel'], () => byLabel('channel', parts.ledger()?.status().published ?? {}))
  metrics.gauge('cmws_chain_head_block', 'Newest head seen', [], () => chain()?.head ?? 0)
  metrics.gauge('cmws_chain_processed_block', 'Last block processed and committed', [], () => chain()?.processed ?? 0)
  metrics.gauge('cmws_chain_lag_blocks', 'Blocks between the head and the last processed block', [], () => chain()?.lag ?? 0)
  metrics.counter('cmws_chain_getlogs_calls_total', 'eth_getLogs calls', [], () => chain()?.getLogs ?? 0)
  metrics.counter('cmws_chain_rpc_errors_total', 'Failed chain steps, by kind (range_limit, rate_limit, timeout, network, http, rpc, other)', ['kind'], () => byLabel('kind', chain()?.rpcErrors ?? {}))
  metrics.counter('cmws_chain_reorgs_total', 'Chain reorganisations handled', [], () => chain()?.reorgs ?? 0)
  metrics.counter('cmws_indexer_launches_total', 'Launches published', [], () => chain()?.launches ?? 0)
  metrics.counter('cmws_indexer_trades_total', 'Trades published', [], () => chain()?.trades ?? 0)
  metrics.counter('cmws_indexer_alerts_total', 'Alerts fired, per type', ['type'], () => byLabel('type', chain()?.alertsByType ?? {}))
  metrics.gauge('cmws_indexer_leader', '1 while this process indexes (alone, or as the leader)', [], () => (chain() && chain()!.role !== 'standby' ? 1 : 0))
  metrics.gauge('cmws_indexer_fence', 'The fencing token of this leader (0 when not leading)', [], () => chain()?.fence ?? 0)
  metrics.gauge('cmws_indexer_ready', '1 while this process indexes and has caught up with the head', [], () => (chain()?.ready ? 1 : 0))
}
