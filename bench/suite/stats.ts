/** Latency histograms (log buckets, 1 % wide, from 1 µs to hours) and percentiles. */

const GROWTH = Math.log(1.01)
/** Bucket 0: below 1 µs (or negative: clocks of two processes agree to ~0.05 ms). */
export const BUCKETS = 2600

export function bucketOf(ms: number): number {
  const us = ms * 1000
  if (!(us >= 1)) return 0
  return Math.min(BUCKETS - 1, 1 + Math.floor(Math.log(us) / GROWTH))
}

/** The middle of a bucket, in ms. */
function valueOf(bucket: number): number {
  return bucket === 0 ? 0 : Math.exp((bucket - 0.5) * GROWTH) / 1000
}

export type Percentiles = { p50: number; p95: number; p99: number; max: number }

/** Percentiles of a histogram (dense or sparse [bucket, count] pairs); `max` is exact. */
export function percentiles(hist: ArrayLike<number> | [number, number][], max: number): Percentiles | null {
  const pairs: [number, number][] = Array.isArray(hist) && Array.isArray(hist[0]) ? (hist as [number, number][]) : Array.from(hist as ArrayLike<number>, (n, i) => [i, n] as [number, number]).filter(([, n]) => n > 0)
  pairs.sort((a, b) => a[0] - b[0])
  const total = pairs.reduce((n, [, c]) => n + c, 0)
  if (total === 0) return null
  const at = (q: number) => {
    const rank = Math.ceil(q * total)
    let seen = 0
    for (const [bucket, count] of pairs) if ((seen += count) >= rank) return Math.min(valueOf(bucket), max)
    return max
  }
  return { p50: ms(at(0.5)), p95: ms(at(0.95)), p99: ms(at(0.99)), max: ms(max) }
}

/** Sums sparse histograms. */
export function mergeHistograms(list: [number, number][][]): [number, number][] {
  const sum = new Map<number, number>()
  for (const hist of list) for (const [bucket, count] of hist) sum.set(bucket, (sum.get(bucket) ?? 0) + count)
  return [...sum]
}

/** A percentile of plain values (null when there are none). */
export function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!
}

/** The `q` quantile of sorted milliseconds, rounded for reports (`ms`); null when there is none or it is infinite. */
export function quantileMs(sorted: readonly number[], q: number): number | null {
  const v = quantile(sorted, q)
  return v === null || !Number.isFinite(v) ? null : ms(v)
}

/** Rounds ms for reports: 0.01 below 10, 0.1 below 1000, whole above. */
export function ms(x: number): number {
  if (x < 10) return Math.round(x * 100) / 100
  if (x < 1000) return Math.round(x * 10) / 10
  return Math.round(x)
}
