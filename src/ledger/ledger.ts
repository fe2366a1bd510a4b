import type { Publication } from '../bus/bus.js'
import type { Channel } from '../protocol/items.js'
import type { StateDelta } from '../state/stateStore.js'

/** One block's output: what the read model changes, and what each channel publishes. */
export type BlockCommit = {
  publications: { channel: Channel; publication: Publication }[]
  delta: StateDelta
}

/**
 * Where the indexer writes: each block's state change and publications in one atomic step, so a
 * gateway never serves a snapshot newer or older than the seq it reports. `memory` (one process) and
 * `redis` (many) implement it.
 */
export type Ledger = {
  /** Joins (or, on a fresh store, creates) the bus's numbering; resolves once readers can serve. */
  start(): Promise<void>
  /** Applies a replayed block's state change without publishing it (rebuilding after a start). */
  rebuild(delta: StateDelta): void
  /**
   * Commits one block. While the store is unreachable it waits and retries, in order, and resolves
   * once the block is committed exactly once (so the chain follower, which awaits it, stops reading
   * the chain meanwhile); rejects only when the ledger is closed.
   */
  commit(block: BlockCommit): Promise<void>
  /** The epoch it commits under (null before `start`), and how many commits it made in it. */
  status(): { epoch: string | null; commits: number }
  close(): Promise<void>
}
