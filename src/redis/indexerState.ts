import type { ChainableCommander, Redis } from 'ioredis'
import { checkpointFromJson, checkpointToJson } from '../chain/checkpoint.js'
import type { BlockRecord } from '../indexer/reorg.js'
import { tableNames, type StateRows } from '../indexer/state.js'
import { decodeJson, encodeJson } from '../indexer/tables.js'
import type { IndexerSnapshot, Restored } from '../ledger/ledger.js'
import type { StateDump } from '../state/memoryStateStore.js'
import type { RedisKeys } from './keys.js'

/** Rows of a hash, read in pages (HSCAN) so that a large table does not block Redis. */
async function hashRows(redis: Redis, key: string): Promise<[string, string][]> {
  const rows: [string, string][] = []
  let cursor = '0'
  do {
    const [next, flat] = await redis.hscan(key, cursor, 'COUNT', 5000)
    for (let i = 0; i < flat.length; i += 2) rows.push([flat[i]!, flat[i + 1]!])
    cursor = next
  } while (cursor !== '0')
  return rows
}

/**
 * The indexer's last committed state in Redis (`ix:` keys), or null when there is none.
 *
 * @example
 * const restored = await loadIndexerState(redis, keys) // { position, rows, records }
 */
export async function loadIndexerState(redis: Redis, keys: RedisKeys): Promise<Restored | null> {
  const checkpoint = await redis.get(keys.ix.checkpoint)
  if (!checkpoint) return null
  const rows = Object.fromEntries(await Promise.all(tableNames.map(async (name) => [name, await hashRows(redis, keys.ix.table(name))] as const))) as StateRows
  const records = (await hashRows(redis, keys.ix.records)).map(([, text]) => decodeJson<BlockRecord>(text)).sort((a, b) => a.number - b.number)
  return { position: checkpointFromJson(checkpoint), rows, records }
}

/** Adds to `multi` the commands that replace the indexer's state in Redis with `snapshot`. */
export function writeIndexerState(multi: ChainableCommander, keys: RedisKeys, snapshot: IndexerSnapshot): void {
  for (const name of tableNames) {
    multi.del(keys.ix.table(name))
    const rows = snapshot.rows[name]
    for (let i = 0; i < rows.length; i += 1000) multi.hset(keys.ix.table(name), ...rows.slice(i, i + 1000).flat())
  }
  multi.del(keys.ix.records)
  for (const record of snapshot.records) multi.hset(keys.ix.records, record.number, encodeJson(record))
  if (snapshot.position) multi.set(keys.ix.checkpoint, checkpointToJson(snapshot.position))
}

/**
 * The read model in Redis as a memory store's dump (the indexer's mirror after a warm start).
 *
 * @example
 * const mirror = createMemoryStateStore({ … }); mirror.restore(await loadReadModel(redis, keys))
 */
export async function loadReadModel(redis: Redis, keys: RedisKeys): Promise<StateDump> {
  const [recent, tokens] = await Promise.all([redis.lrange(keys.recent, 0, -1), redis.zrange(keys.tokens, 0, -1)])
  const dump: StateDump = { recent, tokens: new Map() }
  for (let i = 0; i < tokens.length; i += 500) {
    const batch = tokens.slice(i, i + 500)
    const pipeline = redis.pipeline()
    for (const t of batch) pipeline.get(keys.price(t)).get(keys.launch(t)).lrange(keys.trades(t), 0, -1).zrange(keys.buckets(t), 0, -1, 'WITHSCORES').get(keys.risk(t)).get(keys.holders(t))
    const replies = (await pipeline.exec()) ?? []
    batch.forEach((token, k) => {
      const [price, launch, trades, buckets, risk, holders] = replies.slice(k * 6, k * 6 + 6).map(([err, value]) => {
        if (err) throw err
        return value
      }) as [string | null, string | null, string[], string[], string | null, string | null]
      const minutes = new Map<number, string>()
      for (let j = 0; j < buckets.length; j += 2) minutes.set(Number(buckets[j + 1]), buckets[j]!)
      dump.tokens.set(token, { ...(price ? { price } : {}), ...(risk ? { risk } : {}), ...(holders ? { holders } : {}), ...(launch ? { launch } : {}), trades: trades.toReversed(), buckets: minutes })
    })
  }
  return dump
}
