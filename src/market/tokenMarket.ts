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

const minuteOf = (ts: number) => Math.floor(ts / 60)

export function createTokenMarket(): TokenMarket {
  return { buckets: [] }
}

function bucketAt(market: TokenMarket, ts: number, priceCore: number): Bucket {
  const minute = minuteOf(ts)
  const last = market.buckets.at(-1)
  if (last && last.minute >= minute) return last
  const open = last?.close ?? priceCore
  const bucket = { minute, open, high: open, low: open, close: open, coreUsd: last?.coreUsd ?? null, volumeCore: 0, volumeUsd: 0, buys: 0, sells: 0 }
  market.buckets.push(bucket)
  return bucket
}

/**
 * Records the token's price at `ts` (from the pair's reserves after a `Sync`).
 *
 * @example
 * recordPrice(market, 1_700_000_000, 0.00025, 1.2)
 */
export function recordPrice(market: TokenMarket, ts: number, priceCore: number, coreUsd: number | null): void {
  const b = bucketAt(market, ts, priceCore)
  b.close = priceCore
  b.high = Math.max(b.high, priceCore)
  b.low = Math.min(b.low, priceCore)
  if (coreUsd !== null) b.coreUsd = coreUsd
}

/** Adds (sign 1) or removes (sign −1, on a reorg) a trade's volume and count. */
export function recordTrade(market: TokenMarket, ts: number, type: 'buy' | 'sell', core: number, usd: number | null, sign: 1 | -1 = 1): void {
  const minute = minuteOf(ts)
  const b = market.buckets.findLast((x) => x.minute === minute) ?? (sign === 1 ? bucketAt(market, ts, market.buckets.at(-1)?.close ?? 0) : undefined)
  if (!b) return
  b.volumeCore += sign * core
  b.volumeUsd += sign * (usd ?? 0)
  if (type === 'buy') b.buys += sign
  else b.sells += sign
}

/** Drops buckets older than 24 h before `now`, keeping the newest of them as the reference price; returns how many. */
export function evict(market: TokenMarket, now: number): number {
  const cutoff = minuteOf(now - DAY_SECONDS)
  let drop = 0
  while (drop + 1 < market.buckets.length && market.buckets[drop + 1]!.minute <= cutoff) drop++
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
