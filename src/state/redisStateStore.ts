import { unavailable } from '../protocol/errors.js'
import { guarded, type RedisConnection } from '../redis/connection.js'
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

  const read = <T>(fn: () => Promise<T>) =>
    guarded(redis, 'the read model', fn).catch((err: unknown) => {
      throw err instanceof Error && err.message.startsWith('NOEPOCH') ? unavailable('the read model (being re-seeded)', err) : err
    })
  /** A channel's per-token items with its seq, in one script step. */
  async function perToken(channel: 'prices' | 'risk', item: 'price' | 'risk', tokens: readonly string[] | '*') {
    const reply = (await runScript(command(), 'cmwsPerToken', [], [keys.prefix, channel, item, ...(tokens === '*' ? [] : tokens)])) as [number, ...string[]]
    return { seq: Number(reply[0]), items: reply.slice(1) as string[] }
  }
  const notSeeded = () => {
    throw new Error('NOEPOCH the bus has no epoch')
  }

  return {
    prices: (tokens) => read(() => perToken('prices', 'price', tokens)),
    risk: (tokens) => read(() => perToken('risk', 'risk', tokens)),
    holders: (address) => read(() => command().get(keys.holders(address))),
    recentTokens: (limit) =>
      read(async () => {
        const [epoch, seq, items] = await exec(command().multi().get(keys.epoch).get(keys.seq('tokens')).lrange(keys.recent, 0, Math.max(limit, 1) - 1))
        if (!epoch) notSeeded()
        return { seq: Number(seq ?? 0), items: limit > 0 ? (items as string[]) : [] }
      }),
    launch: (address) => read(() => command().get(keys.launch(address))),
    trades: (address, limit) => read(() => command().lrange(keys.trades(address), 0, limit - 1)),
    candles: (address, interval) =>
      read(async () => {
        const buckets = await command().zrange(keys.buckets(address), 0, -1)
        return buckets.length > 0 ? candlesOf(buckets, candleSeconds[interval]) : null
      }),
  }
}
