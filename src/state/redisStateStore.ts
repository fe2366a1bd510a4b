import type { RedisConnection } from '../redis/connection.js'
import { runScript } from '../redis/scripts.js'
import { candlesOf } from './candles.js'
import { candleSeconds, type StateStore } from './stateStore.js'

/**
 * The read model in Redis (see `redis/keys.ts`), as every gateway reads it. Snapshots read the
 * channel's seq in the same atomic step as the items (a Lua script or a MULTI), so they are exactly
 * the state after that seq.
 *
 * @example
 * const state = createRedisStateStore(redis)
 * const { seq, items } = await state.prices('*')
 */
export function createRedisStateStore(redis: RedisConnection): StateStore {
  const { keys } = redis
  const command = () => redis.command

  async function exec(multi: ReturnType<RedisConnection['command']['multi']>): Promise<unknown[]> {
    const replies = await multi.exec()
    if (!replies) throw new Error('redis transaction aborted')
    return replies.map(([err, value]) => {
      if (err) throw err
      return value
    })
  }

  return {
    async prices(tokens) {
      const reply = (await runScript(command(), 'cmwsPrices', [], [keys.prefix, ...(tokens === '*' ? [] : tokens)])) as [number, ...string[]]
      return { seq: Number(reply[0]), items: reply.slice(1) as string[] }
    },
    async recentTokens(limit) {
      if (limit <= 0) return { seq: Number((await command().get(keys.seq('tokens'))) ?? 0), items: [] }
      const [seq, items] = await exec(command().multi().get(keys.seq('tokens')).lrange(keys.recent, 0, limit - 1))
      return { seq: Number(seq ?? 0), items: items as string[] }
    },
    launch: (address) => command().get(keys.launch(address)),
    trades: (address, limit) => command().lrange(keys.trades(address), 0, limit - 1),
    async candles(address, interval) {
      const buckets = await command().zrange(keys.buckets(address), 0, -1)
      return buckets.length > 0 ? candlesOf(buckets, candleSeconds[interval]) : null
    },
  }
}
