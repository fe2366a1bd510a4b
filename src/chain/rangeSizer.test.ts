import { describe, expect, it } from 'vitest'
import { createRangeSizer } from './rangeSizer.js'

const refused = new Error('query returned more than 10000 results')

/** Drives a sizer against a node that accepts at most `limit` blocks; returns the sizes asked for. */
function probe(limit: number, initial: number, calls: number): number[] {
  const sizer = createRangeSizer({ initial })
  const asked: number[] = []
  for (let i = 0; i < calls; i++) {
    asked.push(sizer.size)
    if (sizer.size > limit) sizer.shrink(refused)
    else sizer.grow()
  }
  return asked
}

describe('range sizer', () => {
  it('halves on refusal, then binary-searches up to the limit and stays there', () => {
    expect(probe(6, 40, 10)).toEqual([40, 20, 10, 5, 7, 5, 6, 6, 6, 6])
  })

  it('doubles on success up to its cap while nothing was refused', () => {
    expect(probe(Infinity, 100, 6)).toEqual([100, 200, 400, 800, 1000, 1000])
  })

  it('settles on a large limit in a few calls', () => {
    const asked = probe(3000, 10_000, 30)
    expect(asked.slice(-5)).toEqual([3000, 3000, 3000, 3000, 3000])
    expect(asked.filter((size) => size > 3000).length).toBeLessThanOrEqual(12)
  })

  it("takes the node's suggested range", () => {
    const sizer = createRangeSizer({ initial: 1000 })
    sizer.shrink(new Error('Try with this block range [0x64, 0xc7].'))
    expect(sizer.size).toBe(100)
  })

  it('learns nothing about growth from a range shorter than its size', () => {
    const sizer = createRangeSizer({ initial: 100 })
    sizer.grow(1)
    expect(sizer.size).toBe(100)
  })

  it('forgets a learned limit after many successes, to follow a changing log density', () => {
    const sizer = createRangeSizer({ initial: 8, forgetAfter: 3 })
    sizer.shrink(refused) // 8 refused → 4
    for (let i = 0; i < 3; i++) sizer.grow()
    expect(sizer.size).toBeGreaterThan(8)
  })

  it('never goes below one block', () => {
    const sizer = createRangeSizer({ initial: 1 })
    sizer.shrink(refused)
    expect(sizer.size).toBe(1)
  })
})
