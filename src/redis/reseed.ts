import type { Redis } from 'ioredis'
import type { IndexerSnapshot } from '../ledger/ledger.js'
import type { StateDump } from '../state/memoryStateStore.js'
import { writeIndexerState } from './indexerState.js'
import type { RedisLimits } from './commit.js'
import type { RedisKeys } from './keys.js'

/**
 * Replaces the read model in Redis with `dump`, in one MULTI: after a start that rebuilt the state,
 * or when Redis lost its data. Every key under `rm:` that exists now is deleted in the same step.
 * With `newEpoch`, a bus without an epoch gets this one, with its commit counter at 0, in the same
 * step: a gateway that sees the epoch sees the read model that goes with it; with `indexer`, the
 * indexer's state is rewritten too (Redis lost it). Resolves to the epoch.
 *
 * @example
 * const epoch = await reseedReadModel(redis, keys, limits, mirror.dump(), { newEpoch: randomUUID(), indexer: snapshot() })
 */
export async function reseedReadModel(redis: Redis, keys: RedisKeys, limits: RedisLimits, dump: StateDump, options: { newEpoch?: string; indexer?: IndexerSnapshot | undefined } = {}): Promise<string | null> {
  const { newEpoch, indexer } = options
  const stale = await scanKeys(redis, `${keys.readModel}*`)
  const now = Math.floor(Date.now() / 1000)
  const multi = redis.multi()
  if (stale.length > 0) multi.unlink(...stale)
  if (dump.recent.length > 0) multi.rpush(keys.recent, ...dump.recent.slice(0, limits.recentLimit))
  for (const [token, t] of dump.tokens) {
    multi.zadd(keys.tokens, now, token)
    if (t.price) multi.set(keys.price(token), t.price, 'EX', limits.ttlSec)
    if (t.risk) multi.set(keys.risk(token), t.risk, 'EX', limits.ttlSec)
    if (t.holders) multi.set(keys.holders(token), t.holders, 'EX', limits.ttlSec)
    if (t.launch) multi.set(keys.launch(token), t.launch, 'EX', limits.ttlSec)
    const trades = t.trades.slice(-limits.tradesPerToken).reverse()
    if (trades.length > 0) multi.rpush(keys.trades(token), ...trades).expire(keys.trades(token), limits.ttlSec)
    if (t.buckets.size > 0) {
      multi.zadd(keys.buckets(token), ...[...t.buckets].flatMap(([minute, json]) => [minute, json]))
      multi.expire(keys.buckets(token), limits.ttlSec)
    }
  }
  if (indexer) writeIndexerState(multi, keys, indexer)
  if (newEpoch) multi.set(keys.commit, 0).set(keys.epoch, newEpoch, 'NX')
  multi.get(keys.epoch)
  const replies = await multi.exec()
  if (!replies) throw new Error('redis transaction aborted')
  for (const [err] of replies) if (err) throw err
  return replies.at(-1)![1] as string | null
}

async function scanKeys(redis: Redis, pattern: string): Promise<string[]> {
  const found: string[] = []
  let cursor = '0'
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000)
    found.push(...batch)
    cursor = next
  } while (cursor !== '0')
  return [...new Set(found)]
}
