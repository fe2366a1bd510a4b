import type { BurnLpDecision, InsiderShare, LaunchDecision, LaunchScenario, Snipe } from './decisions.js'
import { createRandom, type Random } from './random.js'

/** Every launch risk the simulator shows, one scenario each. */
export const RISK_SCENARIOS: readonly LaunchScenario[] = Object.freeze(['snipers', 'bundle', 'tax', 'honeypot', 'lpBurn', 'rugPull', 'insiders'])

/** Every block of eight launches holds each risk scenario once and one plain launch. */
export const SCENARIO_CYCLE: readonly LaunchScenario[] = Object.freeze([...RISK_SCENARIOS, 'plain'])

/** The first launch of every run: trades right away, what a short run or a test is sure to see. */
const FIRST_SCENARIO: LaunchScenario = 'snipers'

/** Mixed into the seed so that the scenario order does not move when the planner's other draws change. */
const SCENARIO_SALT = 0x5ce7a410

/** Fisher–Yates with the given source. */
function shuffled<T>(rng: Random, items: readonly T[]): T[] {
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(0, i)
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

/**
 * The scenario of each launch, in launch order, a pure function of the seed. The first eight are
 * `snipers`, the six other risk scenarios in a seeded order, then `plain`: launches 0–6 show every
 * risk. After that, each block of eight is {@link SCENARIO_CYCLE} shuffled anew.
 *
 * @example
 * const next = createScenarioSequence(1)
 * next() // 'snipers', then the six other risks, then 'plain', then shuffled blocks of eight
 */
export function createScenarioSequence(seed: number): () => LaunchScenario {
  const rng = createRandom((seed ^ SCENARIO_SALT) >>> 0)
  let queue: LaunchScenario[] = [FIRST_SCENARIO, ...shuffled(rng, RISK_SCENARIOS.filter((s) => s !== FIRST_SCENARIO)), 'plain']
  return () => {
    if (queue.length === 0) queue = shuffled(rng, SCENARIO_CYCLE)
    return queue.shift()!
  }
}

/**
 * `count` distinct wallets other than `creator` (fewer if there are not that many).
 *
 * @example
 * otherWallets(rng, 0, 16, 3) // e.g. [7, 2, 11]
 */
export function otherWallets(rng: Random, creator: number, walletCount: number, count: number): number[] {
  const others = Array.from({ length: walletCount }, (_, i) => i).filter((i) => i !== creator)
  return shuffled(rng, others).slice(0, count)
}

/** Whole CORE with four decimals: `share` of `liquidityCore`. */
function coreShare(rng: Random, liquidityCore: number, share: [number, number]): number {
  return Math.round(liquidityCore * rng.between(share[0], share[1]) * 1e4) / 1e4
}

/**
 * The token contract and its taxes: a `TaxToken` at 3–5 % buy and 5–10 % sell for `tax`, a
 * `HoneypotToken` for `honeypot`, a `MemeToken` otherwise.
 *
 * @example
 * scenarioToken(rng, 'tax') // e.g. { token: 'tax', buyTaxBps: 500, sellTaxBps: 1000 }
 */
export function scenarioToken(rng: Random, scenario: LaunchScenario): Pick<LaunchDecision, 'token' | 'buyTaxBps' | 'sellTaxBps'> {
  if (scenario === 'tax') return { token: 'tax', buyTaxBps: rng.pick([300, 400, 500]), sellTaxBps: rng.pick([500, 800, 1000]) }
  return { token: scenario === 'honeypot' ? 'honeypot' : 'meme', buyTaxBps: 0, sellTaxBps: 0 }
}

/**
 * 2–4 wallets with 2–5 % of the supply each for `insiders` (20 % at most); none otherwise.
 *
 * @example
 * scenarioInsiders(rng, 'insiders', 0, 16) // e.g. [{ wallet: 4, percent: 3 }, { wallet: 9, percent: 5 }]
 */
export function scenarioInsiders(rng: Random, scenario: LaunchScenario, creator: number, walletCount: number): InsiderShare[] {
  if (scenario !== 'insiders') return []
  return otherWallets(rng, creator, walletCount, rng.int(2, 4)).map((wallet) => ({ wallet, percent: rng.int(2, 5) }))
}

/** What a launch sends with its liquidity: snipes in its block and the next, a bundle in its block. */
export type LaunchTrades = Pick<LaunchDecision, 'snipes' | 'lateSnipes' | 'bundle'>

/**
 * The launch trades of a scenario. `snipers`: 3–4 other wallets with 1–4 % of the liquidity each,
 * one or two in the liquidity's block, the rest in the next. `bundle`: 3–5 other wallets sharing
 * 5–12 % of the liquidity in the creator's `Bundler` transaction.
 *
 * @example
 * launchTrades(rng, 'bundle', 0, 16, 100) // { snipes: [], lateSnipes: [], bundle: { recipients: [3, 9, 14], amountCore: 7.25 } }
 */
export function launchTrades(rng: Random, scenario: LaunchScenario, creator: number, walletCount: number, liquidityCore: number): LaunchTrades {
  const none: LaunchTrades = { snipes: [], lateSnipes: [], bundle: null }
  if (scenario === 'bundle') {
    return { ...none, bundle: { recipients: otherWallets(rng, creator, walletCount, rng.int(3, 5)), amountCore: coreShare(rng, liquidityCore, [0.05, 0.12]) } }
  }
  if (scenario !== 'snipers') return none
  const snipers: Snipe[] = otherWallets(rng, creator, walletCount, rng.int(3, 4)).map((wallet) => ({ wallet, amountCore: coreShare(rng, liquidityCore, [0.01, 0.04]) }))
  const inBlock = Math.min(rng.int(1, 2), snipers.length - 1)
  return { ...none, snipes: snipers.slice(0, inBlock), lateSnipes: snipers.slice(inBlock) }
}

/**
 * What follows a launch at once, run as soon as it is done (the next block): for `lpBurn`, the
 * creator burning all its LP tokens.
 *
 * @example
 * launchFollowUps(launch) // [{ kind: 'burnLp', launch: 4, wallet: 2, percent: 100 }] for an lpBurn launch, [] otherwise
 */
export function launchFollowUps(d: LaunchDecision): BurnLpDecision[] {
  return d.scenario === 'lpBurn' ? [{ kind: 'burnLp', launch: d.launch, wallet: d.creator, percent: 100 }] : []
}
