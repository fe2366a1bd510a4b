import type { Candle } from '../protocol/items.js'

export type CandleInterval = '1m' | '5m' | '1h'
export const candleSeconds: Record<CandleInterval, number> = { '1m': 60, '5m': 300, '1h': 3600 }

/** Encoded items as of a channel's `seq`: the state after the message with that seq, and before the next. */
export type Snapshot = { seq: number; items: string[] }

/**
 * The read side a gateway serves snapshots and HTTP reads from (prices on subscribe, recent
 * launches, a token's stats, trades and candles). The indexer writes it, through a ledger, in the
 * same atomic step as the publications of each block; gateways only read. Items are JSON texts,
 * made once by the indexer, never shared objects.
 */
export type StateStore = {
  /** Current price items of the requested tokens that are known (`'*'`: every token), with the `prices` seq. */
  prices(tokens: readonly string[] | '*'): Promise<Snapshot>
  /** The newest launches, newest first, at most `limit`, with the `tokens` seq. */
  recentTokens(limit: number): Promise<Snapshot>
  /** The launch item of a token, if it was seen launching. */
  launch(address: string): Promise<string | null>
  /** Recent trades of a token, newest first. */
  trades(address: string, limit: number): Promise<string[]>
  /** OHLCV candles of a token, oldest first; null for a token without market history. */
  candles(address: string, interval: CandleInterval): Promise<Candle[] | null>
  /** Current risk items of the requested tokens that are known (`'*'`: every token), with the `risk` seq. */
  risk(tokens: readonly string[] | '*'): Promise<Snapshot>
  /** A launched token's largest holders (`HolderRow[]` JSON), if it is tracked. */
  holders(address: string): Promise<string | null>
}

/** A keyed item text: a token's item on one of the read model's lists. */
export type TokenText = { token: string; json: string }

/**
 * What one block changes in the read model. Items are the same JSON texts the block publishes;
 * removals (a reorg) name the exact texts that were added. Removals apply before additions.
 */
export type StateDelta = {
  prices: TokenText[]
  /** Risk items (`risk` channel): each replaces the token's previous one. */
  risk: TokenText[]
  /** A token's largest holders (`HolderRow[]` JSON), replacing the previous list. */
  holders: TokenText[]
  launches: TokenText[]
  /** Launches retracted by a reorg: off the recent list, with their launch, price, risk and holder records. */
  unlaunches: TokenText[]
  trades: TokenText[]
  untrades: TokenText[]
  /** Minute buckets (market/tokenMarket `Bucket` JSON) written or rewritten. */
  buckets: (TokenText & { minute: number })[]
  /** Minute buckets removed (evicted after a day, or undone by a reorg). */
  unbuckets: { token: string; minute: number }[]
}

export function emptyDelta(): StateDelta {
  return { prices: [], risk: [], holders: [], launches: [], unlaunches: [], trades: [], untrades: [], buckets: [], unbuckets: [] }
}

export function isEmptyDelta(delta: StateDelta): boolean {
  return Object.values(delta).every((list: unknown[]) => list.length === 0)
}
