import type { Candle } from '../protocol/items.js'

/**
 * One token's market history in minute buckets: prices (CORE) from reserves, volume and trade counts
 * from swaps. Pure data and functions (no I/O). Memory is bounded: buckets older than 24 h are
 * evicted, except the newest of them, kept as the 24 h reference price.
 */
export type Bucket = {
  /** Unix minute (seconds / 60, floored). */
  minute: number
  open: number
  high: number
  low: number
  close: number
  /** CORE/USD when the bucket last moved (null while unknown). */
  coreUsd: number | null
  volumeCore: number
  volumeUsd: number
  buys: number
  sells: number
}

export type TokenMarket = { buckets: Bucket[] }

export type WindowStats = { changePercent: number | null; volumeUsd: number; volumeCore: number; buys: number; sells: number }

export const DAY_SECONDS = 86_400

/** Unix minute of a Unix time in seconds. */
export const minuteOf = (ts: number) => Math.floor(ts / 60)

export function createTokenMarket(): TokenMarket {
  return { buckets: [] }
}

/** A new minute's bucket: it opens (and stays, until prices move) at the previous close. */
function openBucket(minute: number, open: number, coreUsd: number | null): Bucket {
  return { minute, open, high: open, low: open, close: open, coreUsd, volumeCore: 0, volumeUsd: 0, buys: 0, sells: 0 }
}

/**
 * The bucket of `minute` after a price (from the pair's reserves after a `Sync`): `current` is that
 * minute's bucket if it exists, `previous` the newest bucket before it. Pure: returns a new bucket.
 *
 * @example
 * pricedBucket(undefined, last, 28_333_333, 0.00025, 1.2)
 */
export function pricedBucket(current: Bucket | undefined, previous: Bucket | undefined, minute: number, priceCore: number, coreUsd: number | null): Bucket {
  const b = current ?? openBucket(minute, previous?.close ?? priceCore, previous?.coreUsd ?? null)
  return { ...b, close: priceCore, high: Math.max(b.high, priceCore), low: Math.min(b.low, priceCore), coreUsd: coreUsd ?? b.coreUsd }
}

/** The bucket of `minute` with a trade added (sign 1) or taken out (−1, a reorg). Pure. */
export function tradedBucket(current: Bucket | undefined, previous: Bucket | undefined, minute: number, type: 'buy' | 'sell', core: number, usd: number | null, sign: 1 | -1 = 1): Bucket {
  const b = current ?? openBucket(minute, previous?.close ?? 0, previous?.coreUsd ?? null)
  return {
    ...b,
    volumeCore: b.volumeCore + sign * core,
    volumeUsd: b.volumeUsd + sign * (usd ?? 0),
    buys: b.buys + (type === 'buy' ? sign : 0),
    sells: b.sells + (type === 'sell' ? sign : 0),
  }
}

/** How many of the oldest buckets are older than 24 h before `now`; the newest of those stays, as the reference price. */
export function expiredCount(buckets: readonly Bucket[], now: number): number {
  const cutoff = minuteOf(now - DAY_SECONDS)
  let drop = 0
  while (drop + 1 < buckets.length && buckets[drop + 1]!.minute <= cutoff) drop++
  return drop
}

/** The minute a record at `ts` belongs to: late records join the newest bucket. */
function minuteFor(market: TokenMarket, ts: number): number {
  return Math.max(minuteOf(ts), market.buckets.at(-1)?.minute ?? 0)
}

/** Puts `bucket` in its place (replacing the bucket of the same minute). */
function place(market: TokenMarket, bucket: Bucket): void {
  const i = market.buckets.findLastIndex((b) => b.minute <= bucket.minute)
  if (i >= 0 && market.buckets[i]!.minute === bucket.minute) market.buckets[i] = bucket
  else market.buckets.splice(i + 1, 0, bucket)
}

/**
 * Records the token's price at `ts` in a mutable market (tests and tools; the indexer keeps its
 * buckets in its tables).
 *
 * @example
 * recordPrice(market, 1_700_000_000, 0.00025, 1.2)
 */
export function recordPrice(market: TokenMarket, ts: number, priceCore: number, coreUsd: number | null): void {
  const minute = minuteFor(market, ts)
  const current = market.buckets.findLast((b) => b.minute === minute)
  place(market, pricedBucket(current, market.buckets.findLast((b) => b.minute < minute), minute, priceCore, coreUsd))
}

/** Adds (sign 1) or removes (sign −1) a trade's volume and count in a mutable market. */
export function recordTrade(market: TokenMarket, ts: number, type: 'buy' | 'sell', core: number, usd: number | null, sign: 1 | -1 = 1): void {
  const minute = minuteOf(ts)
  const current = market.buckets.findLast((b) => b.minute === minute)
  if (!current && sign === -1) return
  const at = current ? minute : minuteFor(market, ts)
  place(market, tradedBucket(current ?? market.buckets.findLast((b) => b.minute === at), market.buckets.findLast((b) => b.minute < at), at, type, core, usd, sign))
}

/** Drops buckets older than 24 h before `now` from a mutable market, keeping the newest of them; returns how many. */
export function evict(market: TokenMarket, now: number): number {
  const drop = expiredCount(market.buckets, now)
  if (drop > 0) market.buckets.splice(0, drop)
  return drop
}

/**
 * Change and volume over the `seconds` up to `now`. The change compares the price at `now` with the
 * price when the window opened (or the first known price, for a younger token).
 */
export function windowStats(market: TokenMarket, now: number, seconds: number): WindowStats {
  const start = minuteOf(now - seconds)
  const end = minuteOf(now)
  const out: WindowStats = { changePercent: null, volumeUsd: 0, volumeCore: 0, buys: 0, sells: 0 }
  let reference: number | undefined
  let last: number | undefined
  for (const b of market.buckets) {
    if (b.minute > end) break
    last = b.close
    if (b.minute <= start) {
      reference = b.close
      continue
    }
    reference ??= b.open
    out.volumeUsd += b.volumeUsd
    out.volumeCore += b.volumeCore
    out.buys += b.buys
    out.sells += b.sells
  }
  if (reference !== undefined && last !== undefined && reference > 0) out.changePercent = ((last - reference) / reference) * 100
  return out
}

/** Lowest and highest price over the `seconds` before `now` (for move detection). */
export function priceRange(market: TokenMarket, now: number, seconds: number): { low: number; high: number } | null {
  const start = minuteOf(now - seconds)
  let low = Infinity
  let high = -Infinity
  for (const b of market.buckets) {
    if (b.minute < start) continue
    low = Math.min(low, b.low, b.open)
    high = Math.max(high, b.high, b.open)
  }
  return low === Infinity ? null : { low, high }
}

/**
 * OHLCV candles of `intervalSeconds` (60, 300, 3600) from the minute buckets, in USD when CORE/USD
 * was known for the bucket (else in CORE), oldest first.
 */
export function candles(market: TokenMarket, intervalSeconds: number): Candle[] {
  const out: Candle[] = []
  for (const b of market.buckets) {
    const rate = b.coreUsd ?? 1
    const time = Math.floor((b.minute * 60) / intervalSeconds) * intervalSeconds
    const last = out.at(-1)
    if (last?.time === time) {
      last.high = Math.max(last.high, b.high * rate)
      last.low = Math.min(last.low, b.low * rate)
      last.close = b.close * rate
      last.volume += b.volumeUsd
      last.volumeCore += b.volumeCore
      last.trades += b.buys + b.sells
    } else {
      out.push({ time, open: b.open * rate, high: b.high * rate, low: b.low * rate, close: b.close * rate, volume: b.volumeUsd, volumeCore: b.volumeCore, trades: b.buys + b.sells })
    }
  }
  return out
}
