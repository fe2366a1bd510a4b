import { suggestedRangeSize } from './errors.js'

/** The adaptive `eth_getLogs` chunk size. */
export type RangeSizer = {
  /** The number of blocks to ask for next. */
  readonly size: number
  /** A range of `blocks` (default `size`) blocks was refused as too large. */
  shrink(err: unknown, blocks?: number): void
  /** A range of `blocks` (default `size`) blocks succeeded; a range shorter than `size` says nothing about growth. */
  grow(blocks?: number): void
}

export type CreateRangeSizerOptions = {
  initial: number
  /** Upper bound for growth (default: 10 × initial). */
  max?: number
  /** Successes after which a learned limit is forgotten and probed again (default 100): log density changes. */
  forgetAfter?: number
}

/**
 * Creates a range sizer. On a refusal it halves (or takes the range the node suggests, as in
 * `... try with this block range [0x1, 0x64]`, or falls back to the largest size known to work);
 * on success it doubles until a size has been refused, then binary-searches between the largest size
 * that worked and the smallest that was refused, so it settles on the node's limit in a few calls.
 *
 * @example
 * const sizer = createRangeSizer({ initial: 2000 })
 * sizer.shrink(err) // sizer.size === 1000
 */
export function createRangeSizer(options: CreateRangeSizerOptions): RangeSizer {
  const initial = Math.max(1, Math.floor(options.initial))
  const cap = Math.max(initial, Math.floor(options.max ?? initial * 10))
  const forgetAfter = options.forgetAfter ?? 100
  let size = initial
  let good = 0 // largest size that worked since the last refusal
  let bad = Infinity // smallest size refused
  let successes = 0
  return {
    get size() {
      return size
    },
    shrink(err, blocks = size) {
      bad = Math.min(bad, blocks)
      if (good >= bad) good = 0
      successes = 0
      const suggested = suggestedRangeSize(err)
      size = Math.max(1, suggested !== null && suggested < blocks ? suggested : good > 0 ? good : Math.floor(blocks / 2))
    },
    grow(blocks = size) {
      if (blocks < bad) good = Math.max(good, blocks)
      if (blocks < size) return
      if (++successes >= forgetAfter && bad !== Infinity) [bad, successes] = [Infinity, 0]
      const next = bad === Infinity ? size * 2 : Math.floor((good + bad) / 2)
      size = Math.min(cap, Math.max(good, next))
    },
  }
}
