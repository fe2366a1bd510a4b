import type { BuyDecision, LaunchDecision, LaunchScenario, RugDecision, SellDecision, SimDecision } from './decisions.js'
import { createRandom, type Random } from './random.js'
import { createScenarioSequence, launchFollowUps, launchTrades, scenarioInsiders, scenarioToken } from './scenarios.js'

export type { BurnLpDecision, BuyDecision, InsiderShare, LaunchBundle, LaunchDecision, LaunchScenario, RugDecision, SellDecision, SimDecision, Snipe } from './decisions.js'

/** How busy the simulated market is. Every interval is an upper bound on the gap between two events of its kind. */
export type SimPace = {
  /** One planning step every `tickMs`. */
  tickMs: number
  /** Mean gap between launches (each gap is 0.75–1.25 × this). */
  launchEveryMs: number
  /** Ordinary buys and sells per second, over all tokens. */
  tradesPerSecond: number
  /** Longest gap between whale buys (each gap is 0.5–1 × this). */
  whaleEveryMs: number
  /** Longest gap between rugs (the creator removes 80–100 % of its liquidity). */
  rugEveryMs: number
  /** No token is rugged sooner than this after its launch; a `rugPull` launch is the first rugged after it. */
  rugMinAgeMs: number
  /** Longest gap between pumps (several large buys in one step). */
  pumpEveryMs: number
  /** Longest gap between dumps (the creator sells a large share of its tokens). */
  dumpEveryMs: number
  /** Trades go to the most recent this-many tokens that were not rugged. */
  maxLiveTokens: number
}

/** The default pace: a launch every ~20 s, ~4 trades/s, a whale buy and a rug at least once a minute. */
export const DEFAULT_PACE: Readonly<SimPace> = Object.freeze({
  tickMs: 250,
  launchEveryMs: 20_000,
  tradesPerSecond: 4,
  whaleEveryMs: 45_000,
  rugEveryMs: 55_000,
  rugMinAgeMs: 10_000,
  pumpEveryMs: 90_000,
  dumpEveryMs: 90_000,
  maxLiveTokens: 8,
})

/** Decides what happens at each step; a pure function of the seed and the number of steps taken. */
export type Planner = { step(): SimDecision[] }

/** `rugFrom`: the first step at which the token may be rugged. */
type LiveToken = { launch: number; creator: number; liquidityCore: number; holders: number[]; scenario: LaunchScenario; rugFrom: number }
type Scheduled = 'launch' | 'whale' | 'rug' | 'pump' | 'dump'

const ADJECTIVES = ['Turbo', 'Based', 'Moon', 'Giga', 'Tiny', 'Angry', 'Lucky', 'Sleepy', 'Degen', 'Golden', 'Pixel', 'Cosmic']
const NOUNS = ['Frog', 'Doge', 'Cat', 'Pepe', 'Shiba', 'Otter', 'Panda', 'Whale', 'Bull', 'Hamster', 'Corgi', 'Goose']
const SUPPLIES = [1_000_000, 100_000_000, 1_000_000_000, 1_000_000_000_000]
/** Mixed into the seed for the scenarios' own draws (insiders, taxes, snipers, bundles). */
const DETAIL_SALT = 0x6a1d3c5b

/**
 * A launch: the market's draws (name, creator, supply, liquidity) from `rng`, in their old order;
 * the scenario's own draws (insiders, taxes, snipers, bundle) from `detail`.
 */
function planLaunch(rng: Random, detail: Random, launch: number, walletCount: number, scenario: LaunchScenario): LaunchDecision {
  const adjective = rng.pick(ADJECTIVES)
  const noun = rng.pick(NOUNS)
  const creator = rng.int(0, walletCount - 1)
  const supply = rng.pick(SUPPLIES)
  const liquidityCore = rng.int(50, 500)
  const liquidityPercent = rng.int(50, 90)
  const insiders = scenarioInsiders(detail, scenario, creator, walletCount)
  return {
    kind: 'launch',
    launch,
    creator,
    name: `${adjective} ${noun}`,
    symbol: `${adjective[0]}${noun}`.toUpperCase().slice(0, 8),
    supply,
    liquidityCore,
    // Insiders take up to 20 % of the supply: with at most 75 % in the pool, the creator keeps 5 % or more.
    liquidityPercent: insiders.length > 0 ? Math.min(liquidityPercent, 75) : liquidityPercent,
    scenario,
    ...scenarioToken(detail, scenario),
    insiders,
    ...launchTrades(detail, scenario, creator, walletCount, liquidityCore),
  }
}

/** A wallet other than the token's creator. */
function trader(rng: Random, token: LiveToken, walletCount: number): number {
  const w = rng.int(0, walletCount - 2)
  return w >= token.creator ? w + 1 : w
}

function planBuy(rng: Random, token: LiveToken, walletCount: number, reason: BuyDecision['reason'], share: [number, number]): BuyDecision {
  const wallet = trader(rng, token, walletCount)
  if (!token.holders.includes(wallet)) token.holders.push(wallet)
  const amountCore = Math.round(token.liquidityCore * rng.between(share[0], share[1]) * 1e4) / 1e4
  return { kind: 'buy', launch: token.launch, wallet, amountCore, reason }
}

/** An ordinary trade: a buy, or a sell by a wallet that bought earlier (a honeypot's holders try, and the sell is expected to revert). */
function planTrade(rng: Random, token: LiveToken, walletCount: number): BuyDecision | SellDecision {
  if (token.holders.length === 0 || rng.chance(0.55)) return planBuy(rng, token, walletCount, 'trade', [0.002, 0.03])
  const wallet = rng.pick(token.holders)
  const percent = rng.int(20, 100)
  if (token.scenario === 'honeypot') return { kind: 'sell', launch: token.launch, wallet, percent, reason: 'trade', expectRevert: true }
  if (percent === 100) token.holders.splice(token.holders.indexOf(wallet), 1)
  return { kind: 'sell', launch: token.launch, wallet, percent, reason: 'trade' }
}

/** Wallets that get the token with the launch (insiders, snipers, bundle recipients): they may sell later. */
function launchHolders(d: LaunchDecision): number[] {
  return [...new Set([...d.insiders.map((i) => i.wallet), ...[...d.snipes, ...d.lateSnipes].map((s) => s.wallet), ...(d.bundle?.recipients ?? [])])]
}

/**
 * Creates the planner of a simulated market. It decides; the simulator executes. Decisions name
 * tokens by launch number and wallets by index, so the same seed gives the same decisions
 * whatever the chain does.
 *
 * @example
 * const planner = createPlanner({ seed: 1, walletCount: 16 })
 * planner.step() // [{ kind: 'launch', launch: 0, creator: 9, name: 'Cosmic Pepe', scenario: 'snipers', snipes: [{ wallet: 4, amountCore: 2.1 }], … }, …]
 */
export function createPlanner({ seed, walletCount, pace = DEFAULT_PACE }: { seed: number; walletCount: number; pace?: SimPace }): Planner {
  if (walletCount < 2) throw new Error('the simulator needs at least 2 wallets')
  const rng = createRandom(seed)
  const detail = createRandom((seed ^ DETAIL_SALT) >>> 0)
  const nextScenario = createScenarioSequence(seed)
  const live: LiveToken[] = []
  let tick = 0
  let launches = 0
  let tradeBudget = 0
  const ticks = (ms: number) => Math.max(1, Math.round(ms / pace.tickMs))
  const gap = (kind: Scheduled) =>
    kind === 'launch' ? ticks(pace.launchEveryMs * rng.between(0.75, 1.25)) : ticks(pace[`${kind}EveryMs`] * rng.between(0.5, 1))
  const due: Record<Scheduled, number> = { launch: 0, whale: gap('whale'), rug: gap('rug'), pump: gap('pump'), dump: gap('dump') }
  const recent = () => live.slice(-pace.maxLiveTokens)

  function launch(): SimDecision[] {
    const d = planLaunch(rng, detail, launches++, walletCount, nextScenario())
    live.push({ launch: d.launch, creator: d.creator, liquidityCore: d.liquidityCore, holders: launchHolders(d), scenario: d.scenario, rugFrom: tick + ticks(pace.rugMinAgeMs) })
    return [d, ...launchFollowUps(d)]
  }

  /** A `rugPull` token old enough, else any token old enough whose LP was not burned. */
  function rugTarget(): LiveToken | undefined {
    const ripe = live.filter((t) => tick >= t.rugFrom && t.scenario !== 'lpBurn')
    return ripe.find((t) => t.scenario === 'rugPull') ?? (ripe.length > 0 ? rng.pick(ripe) : undefined)
  }

  function rug(): RugDecision[] {
    const token = rugTarget()
    if (!token) return []
    live.splice(live.indexOf(token), 1)
    return [{ kind: 'rug', launch: token.launch, wallet: token.creator, percent: rng.int(80, 100) }]
  }

  function special(kind: Exclude<Scheduled, 'launch' | 'rug'>): SimDecision[] {
    if (live.length === 0) return []
    const token = rng.pick(recent())
    if (kind === 'whale') return [planBuy(rng, token, walletCount, 'whale', [0.2, 0.5])]
    if (kind === 'dump') return [{ kind: 'sell', launch: token.launch, wallet: token.creator, percent: rng.int(30, 60), reason: 'dump' }]
    return Array.from({ length: rng.int(3, 6) }, () => planBuy(rng, token, walletCount, 'pump', [0.05, 0.15]))
  }

  function trades(): SimDecision[] {
    tradeBudget += (pace.tradesPerSecond * pace.tickMs) / 1000
    const out: SimDecision[] = []
    for (; tradeBudget >= 1; tradeBudget--) out.push(planTrade(rng, rng.pick(recent()), walletCount))
    return out
  }

  function step(): SimDecision[] {
    const out: SimDecision[] = []
    if (tick >= due.launch) out.push(...launch())
    for (const kind of ['whale', 'rug', 'pump', 'dump'] as const) {
      if (tick < due[kind]) continue
      const decided = kind === 'rug' ? rug() : special(kind)
      // With no token to act on, the event stays due and happens at the next step that has one.
      if (decided.length === 0) continue
      out.push(...decided)
      due[kind] = tick + gap(kind)
    }
    if (tick >= due.launch) due.launch = tick + gap('launch')
    if (live.length > 0) out.push(...trades())
    tick++
    return out
  }

  return { step }
}
