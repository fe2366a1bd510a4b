import type { Channel } from '../protocol/items.js'
import type { Route } from '../protocol/routing.js'

/** One item as it travels: its JSON text, made once by the publisher, and how to route it. */
export type EncodedItem = { readonly json: string; readonly route: Route }

/** What the indexer publishes: one block's items for a channel, or a reorg notice. */
export type Publication =
  | { readonly kind: 'data'; readonly items: readonly EncodedItem[] }
  | { readonly kind: 'reorg'; readonly fromBlock: number; readonly toBlock: number; readonly txHashes: readonly string[]; readonly ids?: readonly string[] }

/**
 * A publication with the sequence number the bus gave it (1, 2, 3, … per channel, per epoch) and
 * the publisher's clock when it was committed (ms). Immutable: every reader shares it.
 */
export type BusMessage = Publication & { readonly channel: Channel; readonly seq: number; readonly publishedAt: number }

/**
 * The result of a history read: `complete` is false when history no longer reaches back to `since`,
 * or when `since` is ahead of this bus (a seq from another epoch). `lastSeq` is the channel's newest
 * seq when the history was read.
 */
export type BusHistory = { complete: boolean; messages: BusMessage[]; lastSeq: number }

/** Someone listening to a channel of the bus. */
export type BusListener = {
  /** A message, in the order the bus received it; messages may be missing (see `resync`). */
  message(message: BusMessage): void
  /**
   * The bus reconnected after an outage (Redis): messages published meanwhile were not delivered,
   * and the epoch may have changed. The listener compares and fills from `history`.
   */
  resync?(): void
}

/** A channel subscription: `ready` resolves once the bus delivers this channel's new messages. */
export type BusSubscription = { readonly ready: Promise<void>; close(): void }

export type BusStatus = {
  kind: 'memory' | 'redis'
  connected: boolean
  /** The numbering of seqs, or null until it was read (Redis unreachable since start). */
  epoch: string | null
}

/**
 * The message bus between the indexer and the gateways. `memory` serves one process; `redis`
 * serves many. Both pass the same conformance tests (`test/bus/conformance.test.ts`).
 */
export type Bus = {
  /**
   * Identifies this bus's numbering: seqs are comparable only within one epoch. It belongs to the
   * bus (Redis: stored in Redis), the same for every process, and changes only when the bus's
   * history is lost.
   */
  epoch(): Promise<string>
  /** Publishes one payload on a channel and resolves to its sequence number. */
  publish(channel: Channel, publication: Publication): Promise<number>
  /** Delivers the channel's messages to `listener`, asynchronously, from `ready` on. */
  subscribe(channel: Channel, listener: BusListener): BusSubscription
  /** Messages with `seq > since`, oldest first. */
  history(channel: Channel, since: number): Promise<BusHistory>
  /** The newest sequence number on `channel` (0 before the first publish). */
  lastSeq(channel: Channel): Promise<number>
  status(): BusStatus
  close(): Promise<void>
}
