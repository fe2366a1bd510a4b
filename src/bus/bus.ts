import type { Channel } from '../protocol/items.js'

/** What the indexer publishes: one block's items for a channel, or a reorg notice. */
export type BusPayload =
  | { kind: 'data'; items: readonly unknown[] }
  | { kind: 'reorg'; fromBlock: number; toBlock: number; txHashes: readonly string[] }

/** A published payload with the sequence number the bus gave it (1, 2, 3, … per channel). */
export type BusMessage = BusPayload & { channel: Channel; seq: number }

export type BusListener = (message: BusMessage) => void

/**
 * The result of a history read: `complete` is false when history no longer reaches back to `since`,
 * or when `since` is ahead of this bus (a seq from another epoch, e.g. before a restart).
 * `lastSeq` is the channel's newest seq when the history was read.
 */
export type BusHistory = { complete: boolean; messages: BusMessage[]; lastSeq: number }

/**
 * The message bus between the indexer and the gateways. `memory` serves one process;
 * `redis` (later) serves many. Both pass the same conformance tests.
 */
export type Bus = {
  /** Identifies this bus's numbering: seqs are comparable only within one epoch (memory: one process). */
  readonly epoch: string
  /** Publishes a payload on a channel and resolves to its sequence number. */
  publish(channel: Channel, payload: BusPayload): Promise<number>
  /** Calls `listener` for every message published on `channel` from now on; returns the unsubscribe function. */
  subscribe(channel: Channel, listener: BusListener): () => void
  /** Messages with `seq > since`, oldest first. */
  history(channel: Channel, since: number): Promise<BusHistory>
  /** The newest sequence number on `channel` (0 before the first publish). */
  lastSeq(channel: Channel): Promise<number>
  close(): Promise<void>
}
