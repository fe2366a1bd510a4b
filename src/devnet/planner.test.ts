import { describe, expect, test } from 'vitest'
import { createPlanner, DEFAULT_PACE, type LaunchDecision, type SimDecision, type SimPace } from './planner.js'
import { createScenarioSequence, RISK_SCENARIOS, SCENARIO_CYCLE } from './scenarios.js'

/** Runs a planner for `seconds` of simulated time at the default pace. */
function plan(seed: number, seconds: number, pace: SimPace = DEFAULT_PACE): SimDecision[][] {
  const planner = createPlanner({ seed, walletCount: 16, pace })
  return Array.from({ length: Math.round((seconds * 1000) / pace.tickMs) }, () => planner.step())
}

const launchesOf = (steps: SimDecision[][]) => steps.flat().filter((d): d is LaunchDecision => d.kind === 'launch')

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
        if (d.kind !== 'burnLp' && d.reason !== 'dump') expect(d.wallet).not.toBe(creators.get(d.launch))
      }
    }
  })

  test.each([1, 2, 3, 42, 2 ** 31 - 1])('seed %i: launches 0–6 show the seven risks, 0 first with snipers, 7 is plain', (seed) => {
    const scenarios = launchesOf(plan(seed, 200)).map((d) => d.scenario)
    expect(scenarios[0]).toBe('snipers')
    expect(new Set(scenarios.slice(0, 7))).toEqual(new Set(RISK_SCENARIOS))
    expect(scenarios[7]).toBe('plain')
  })

  test('every block of eight launches holds every scenario once, in an order the seed fixes', () => {
    const next = createScenarioSequence(5)
    const scenarios = Array.from({ length: 48 }, () => next())
    for (let block = 0; block < 6; block++) expect([...scenarios.slice(block * 8, block * 8 + 8)].sort()).toEqual([...SCENARIO_CYCLE].sort())
    expect(launchesOf(plan(5, 600)).map((d) => d.scenario)).toEqual(scenarios.slice(0, launchesOf(plan(5, 600)).length))
    const other = createScenarioSequence(6)
    expect(Array.from({ length: 48 }, () => other())).not.toEqual(scenarios)
  })

  test('each scenario decides its token, insiders, launch-block trades and follow-ups', () => {
    const steps = plan(9, 200)
    const byScenario = new Map(launchesOf(steps).map((d) => [d.scenario, d]))
    /** The decisions taken with a launch, besides ordinary trades. */
    const after = (d: LaunchDecision) => steps.find((s) => s.includes(d))!.filter((x) => x.launch === d.launch && x.kind === 'burnLp')

    const snipers = byScenario.get('snipers')!
    expect(snipers.snipes.length).toBeGreaterThanOrEqual(1)
    expect(snipers.lateSnipes.length).toBeGreaterThanOrEqual(1)
    expect(snipers.snipes.length + snipers.lateSnipes.length).toBeGreaterThanOrEqual(3)
    const sniperWallets = [...snipers.snipes, ...snipers.lateSnipes].map((x) => x.wallet)
    expect(new Set(sniperWallets).size).toBe(sniperWallets.length)
    expect(sniperWallets).not.toContain(snipers.creator)
    expect(after(snipers)).toEqual([])

    const bundle = byScenario.get('bundle')!
    expect(bundle.bundle!.recipients.length).toBeGreaterThanOrEqual(3)
    expect(bundle.bundle!.recipients).not.toContain(bundle.creator)
    expect(bundle.bundle!.amountCore).toBeGreaterThan(0)

    const tax = byScenario.get('tax')!
    expect(tax).toMatchObject({ token: 'tax', buyTaxBps: expect.any(Number), sellTaxBps: expect.any(Number) })
    expect(tax.buyTaxBps).toBeGreaterThanOrEqual(300)
    expect(tax.sellTaxBps).toBeGreaterThanOrEqual(500)
    expect(byScenario.get('honeypot')).toMatchObject({ token: 'honeypot', buyTaxBps: 0, sellTaxBps: 0 })

    const insiders = byScenario.get('insiders')!
    expect(insiders.insiders.length).toBeGreaterThanOrEqual(2)
    expect(insiders.insiders.map((i) => i.wallet)).not.toContain(insiders.creator)
    expect(insiders.liquidityPercent + insiders.insiders.reduce((sum, i) => sum + i.percent, 0)).toBeLessThanOrEqual(95)

    const lpBurn = byScenario.get('lpBurn')!
    expect(after(lpBurn)).toEqual([{ kind: 'burnLp', launch: lpBurn.launch, wallet: lpBurn.creator, percent: 100 }])
    for (const d of launchesOf(steps)) {
      if (d.scenario !== 'snipers') expect([...d.snipes, ...d.lateSnipes]).toEqual([])
      if (d.scenario !== 'bundle') expect(d.bundle).toBeNull()
      if (d.scenario !== 'insiders') expect(d.insiders).toEqual([])
    }
  })

  test("a honeypot's holders try to sell and are expected to fail; its creator's dump is not", () => {
    const steps = plan(11, 600).flat()
    const honeypots = new Map(launchesOf([steps]).filter((d) => d.scenario === 'honeypot').map((d) => [d.launch, d.creator]))
    const sells = steps.filter((d) => d.kind === 'sell' && honeypots.has(d.launch))
    expect(sells.some((d) => d.kind === 'sell' && d.expectRevert)).toBe(true)
    for (const d of sells) if (d.kind === 'sell') expect(d.expectRevert === true).toBe(d.wallet !== honeypots.get(d.launch))
    expect(steps.filter((d) => d.kind === 'sell' && d.expectRevert).every((d) => honeypots.has(d.launch))).toBe(true)
  })

  test('a rugPull token is rugged first once it is old enough; an lpBurn token never is', () => {
    const pace = { ...DEFAULT_PACE, launchEveryMs: 2000, rugEveryMs: 3000, rugMinAgeMs: 4000 }
    const steps = plan(13, 120, pace)
    const launchStep = new Map(steps.flatMap((s, i) => s.filter((d) => d.kind === 'launch').map((d) => [d.launch, i] as const)))
    const scenarioOf = new Map(launchesOf(steps).map((d) => [d.launch, d.scenario]))
    const rugs = steps.flatMap((s, i) => s.filter((d) => d.kind === 'rug').map((d) => ({ ...d, step: i })))
    const rugPulls = [...scenarioOf].filter(([, s]) => s === 'rugPull').map(([launch]) => launch)
    expect(rugPulls.length).toBeGreaterThanOrEqual(3)
    for (const launch of rugPulls) {
      const rug = rugs.find((r) => r.launch === launch)
      expect(rug, `rugPull launch ${launch} is rugged`).toBeDefined()
      expect(rug!.step - launchStep.get(launch)!).toBeGreaterThanOrEqual(pace.rugMinAgeMs / pace.tickMs)
    }
    for (const rug of rugs) {
      expect(scenarioOf.get(rug.launch)).not.toBe('lpBurn')
      expect(rug.step - launchStep.get(rug.launch)!).toBeGreaterThanOrEqual(pace.rugMinAgeMs / pace.tickMs)
    }
  })
})
