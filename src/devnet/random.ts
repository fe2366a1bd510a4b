/** A seeded pseudo-random source: `next()` in [0, 1) plus a few helpers. */
export type Random = {
  /** Uniform in [0, 1). */
  next(): number
  /** Uniform float in [min, max). */
  between(min: number, max: number): number
  /** Uniform integer in [min, max] (both inclusive). */
  int(min: number, max: number): number
  /** True with probability `p`. */
  chance(p: number): boolean
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T
}

/**
 * mulberry32: a tiny 32-bit PRNG, good enough for simulations and fully determined by its seed.
 *
 * @example
 * const rng = mulberry32(1)
 * rng() // 0.6270739405881613, every time
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * A {@link Random} over mulberry32: the same seed gives the same sequence.
 *
 * @example
 * const rng = createRandom(42)
 * rng.int(1, 6) // a die roll, the same on every run
 */
export function createRandom(seed: number): Random {
  const next = mulberry32(seed)
  const between = (min: number, max: number) => min + (max - min) * next()
  return {
    next,
    between,
    int: (min, max) => Math.floor(between(min, max + 1)),
    chance: (p) => next() < p,
    pick: <T>(items: readonly T[]): T => {
      if (items.length === 0) throw new Error('pick from an empty array')
      return items[Math.floor(next() * items.length)]!
    },
  }
}
