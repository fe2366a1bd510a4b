import type { Redis } from 'ioredis'
import type { Publication } from '../bus/bus.js'
import { checkpointToJson } from '../chain/checkpoint.js'
import { encodeJson } from '../indexer/tables.js'
import { FencedError, type IndexerWrite } from '../ledger/ledger.js'
import { encodeWire } from '../bus/wire.js'
import type { Channel } from '../protocol/items.js'
import type { StateDelta } from '../state/stateStore.js'
import type { RedisKeys } from './keys.js'
import { runScript } from './scripts.js'

/** Sizes of what Redis keeps (the writer's settings). */
export type RedisLimits = { historySize: number; ttlSec: number; recentLimit: number; tradesPerToken: number }

export type CommitInput = {
  epoch: string
  /** Number of this commit (the last one + 1), or null for a publish that is not counted. */
  commit: number | null
  publications: readonly { channel: Channel; publication: Publication }[]
  delta?: StateDelta
  indexer?: IndexerWrite
  publishedAt: number
}

/** The bus epoch in Redis is not the one the writer holds: Redis lost its data (or another writer reset it). */
export class EpochChangedError extends Error {
  override name = 'EpochChangedError'
}

/** The commit counter moved under the writer: another writer commits to the same prefix. */
export class CommitConflictError extends Error {
  override name = 'CommitConflictError'
}

/**
 * One atomic step in Redis: the read model's changes, then each publication numbered, added to its
 * channel's Stream and published. Resolves to the seqs, or `'duplicate'` when this commit number was
 * already applied (a retry whose first attempt's reply was lost).
 *
 * @example
 * await commitToRedis(redis, keys, limits, { epoch, commit: 8, publications: [{ channel: 'trades', publication }], delta, publishedAt: Date.now() })
 */
export async function commitToRedis(redis: Redis, keys: RedisKeys, limits: RedisLimits, input: CommitInput): Promise<number[] | 'duplicate'> {
  const args: (string | number)[] = [
    keys.prefix,
    input.epoch,
    input.commit ?? '',
    input.indexer?.fence ?? '',
    limits.historySize,
    limits.ttlSec,
    limits.recentLimit,
    limits.tradesPerToken,
    input.publications.length,
  ]
  for (const { channel, publication } of input.publications) args.push(channel, encodeWire(publication, input.publishedAt))
  if (input.delta) pushOps(args, input.delta)
  if (input.indexer) pushIndexerOps(args, input.indexer)
  try {
    const reply = await runScript(redis, 'cmwsCommit', [], args)
    return reply === 'DUP' ? 'duplicate' : (reply as number[])
  } catch (err) {
    if (err instanceof Error && err.message.startsWith('EPOCH')) throw new EpochChangedError('the bus epoch in Redis changed (Redis lost its data?)')
    if (err instanceof Error && err.message.startsWith('COMMIT')) throw new CommitConflictError(err.message)
    if (err instanceof Error && err.message.startsWith('FENCED')) throw new FencedError('another indexer took the lead (fencing token changed)')
    if (err instanceof Error && err.message.startsWith('NOFENCE')) throw new Error('the leadership is being restored (Redis lost its data); retrying', { cause: err })
    throw err
  }
}

function pushOps(args: (string | number)[], delta: StateDelta): void {
  for (const { token, json } of delta.unlaunches) args.push('unlaunch', token, 0, json)
  for (const { token, json } of delta.untrades) args.push('untrade', token, 0, json)
  for (const { token, json } of delta.launches) args.push('launch', token, 0, json)
  for (const { token, json } of delta.trades) args.push('trade', token, 0, json)
  for (const { token, json } of delta.prices) args.push('price', token, 0, json)
  for (const { token, json } of delta.risk) args.push('risk', token, 0, json)
  for (const { token, json } of delta.holders) args.push('holders', token, 0, json)
  for (const { token, minute, json } of delta.buckets) args.push('bucket', token, minute, json)
  for (const { token, minute } of delta.unbuckets) args.push('unbucket', token, minute, '')
}

/** The indexer's state, checkpoint and reorg records in the same step (see `redis/keys.ts`, `ix:`). */
function pushIndexerOps(args: (string | number)[], write: IndexerWrite): void {
  for (const [table, key, value] of write.rows) args.push(value === null ? 'unrow' : 'row', table, key, value ?? '')
  if (write.dropRecordsAbove !== undefined) args.push('dropAbove', '', write.dropRecordsAbove, '')
  if (write.record) args.push('record', '', write.record.number, encodeJson(write.record))
  if (write.finalized !== undefined) args.push('finalize', '', write.finalized, '')
  args.push('checkpoint', '', 0, checkpointToJson(write.position))
}
