import { describe, expect, test } from 'vitest'
import { createPlanner, DEFAULT_PACE, type SimDecision } from './planner.js'

/** Runs a planner for `seconds` of simulated time at the default pace. */
function plan(seed: number, seconds: number): SimDecision[][] {
  const planner = createPlanner({ seed, walletCount: 16 })
  return Array.from({ length: (seconds * 1000) / DEFAULT_PACE.tickMs }, () => planner.step())
}

describe('planner', () => {
  test('the same seed gives the same decisions', () => {
    expect(plan(1, 120)).toEqual(plan(1, 120))
  })

  test('another seed gives other decisions', () => {
    expect(plan(2, 60)).not.toEqual(plan(1, 60))
  })

  test('the first step launches a token', () => {
    const [first] = plan(1, 1)
    expect(first?.[0]).toMatchObject({ kind: 'launch', launch: 0 })
  })

  test('every minute has a launch every ~20 s, a whale buy, a rug and several trades per second', () => {
    const steps = plan(3, 300)
    const perMinute = 60_000 / DEFAULT_PACE.tickMs
    for (let minute = 0; minute < 5; minute++) {
      const decisions = steps.slice(minute * perMinute, (minute + 1) * perMinute).flat()
      expect(decisions.filter((d) => d.kind === 'launch').length).toBeGreaterThanOrEqual(2)
      expect(decisions.some((d) => d.kind === 'buy' && d.reason === 'whale')).toBe(true)
      expect(decisions.some((d) => d.kind === 'rug')).toBe(true)
      expect(decisions.filter((d) => (d.kind === 'buy' || d.kind === 'sell') && d.reason === 'trade').length).toBeGreaterThan(120)
    }
  })

  test('no trade names a rugged token, and creators never trade their own token', () => {
    const rugged = new Set<number>()
    const creators = new Map<number, number>()
    for (const d of plan(4, 300).flat()) {
      if (d.kind === 'launch') creators.set(d.launch, d.creator)
      else if (d.kind === 'rug') rugged.add(d.launch)
      else {
        expect(rugged.has(d.launch)).toBe(false)
        if (d.reason !== 'dump') expect(d.wallet).not.toBe(creators.get(d.launch))
      }
    }
  })
})
