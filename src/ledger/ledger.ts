import type { Publication } from '../bus/bus.js'
import type { Checkpoint } from '../chain/checkpoint.js'
import type { BlockRecord } from '../indexer/reorg.js'
import type { StateRows, StateTables } from '../indexer/state.js'
import type { Channel } from '../protocol/items.js'
import type { StateDelta } from '../state/stateStore.js'

/** A row of the indexer's tables as it is after the commit (`null`: removed), as text. */
export type RowChange = [table: keyof StateTables, key: string, value: string | null]

/**
 * The indexer's side of a commit: where the chain follower stands after it (block, unfinalized
 * window), the table rows the block changed, and the records a reorg needs — so that a restart
 * continues exactly after the last committed block, with the state it had.
 */
export type IndexerWrite = {
  position: Checkpoint
  rows: RowChange[]
  /** The block's record (a published block), kept until the block is final. */
  record?: BlockRecord
  /** A reorg: the records of blocks above this number are gone. */
  dropRecordsAbove?: number
  /** Records at or below this block are final and dropped. */
  finalized?: number
  /** The leader's fencing token (Redis): the commit is refused when another leader took over. */
  fence?: number
}

/** One block's output: what the read model changes, what each channel publishes, and the indexer's state. */
export type BlockCommit = {
  publications: { channel: Channel; publication: Publication }[]
  delta: StateDelta
  indexer?: IndexerWrite
}

/** The indexer's state as last committed: where to continue, its tables, its unfinalized blocks' records. */
export type Restored = { position: Checkpoint; rows: StateRows; records: BlockRecord[] }

/** Everything the indexer holds now, for a store that lost it (Redis restarted empty); no position before its first block. */
export type IndexerSnapshot = Omit<Restored, 'position'> & { position: Checkpoint | null }

/** The leader's fencing token is no longer current: another indexer took over; this one must stop. */
export class FencedError extends Error {
  override name = 'FencedError'
}

/**
 * Where the indexer writes: each block's read-model change, publications and indexer state in one
 * atomic step, so that a gateway never serves a snapshot newer or older than the seq it reports, and
 * a crash either commits a block completely or not at all. `memory` (one process, with an optional
 * file journal) and `redis` (many) implement it.
 */
export type Ledger = {
  /**
   * Joins the bus's numbering. `create`: when the store has none yet, start one now (a process with
   * nothing to index); otherwise the first commit starts it, with the read model that goes with it.
   */
  start(options?: { create?: boolean }): Promise<void>
  /** The indexer's state as last committed, or null (a first start). */
  load(): Promise<Restored | null>
  /** Tells the ledger how to read the indexer's whole state (to rewrite a store that lost it). */
  attach(snapshot: () => IndexerSnapshot): void
  /** Applies a replayed block's state change without publishing it (rebuilding after a start). */
  rebuild(delta: StateDelta): void
  /**
   * Commits one block. While the store is unreachable it waits and retries, in order, and resolves
   * once the block is committed exactly once (so the chain follower, which awaits it, stops reading
   * the chain meanwhile); rejects when the ledger is closed, or with `FencedError` when another
   * indexer leads.
   */
  commit(block: BlockCommit): Promise<void>
  /** The epoch it commits under (null before `start`), how many commits it made in it, and the messages it published per channel. */
  status(): { epoch: string | null; commits: number; published: Readonly<Record<string, number>> }
  close(): Promise<void>
}
