/**
 * Launch intelligence, the figures: a followed token's `TokenRisk` and its largest holders, computed
 * from the facts in the state (`tracking.ts`). Pure; nothing is guessed: a figure whose facts are not
 * whole is null.
 */
import type { IndexerState } from '../indexer/state.js'
import type { HolderLabel, HolderRow, TokenRisk, WalletGroup } from '../protocol/items.js'
import { burnAddresses, largest, percentOf } from './holdings.js'
import { sumOf, type Groups } from './tracking.js'

/** Holders kept per token in the read model (`GET /tokens/:address/holders`). */
export const HOLDER_ROWS = 100

/**
 * A followed token's figures as of `block` (null when it is not followed).
 *
 * @example
 * riskOf(state, token, 1234) // { holders: 41, top10Percent: 63.2, devHeldPercent: 12.5, …, complete: false, blockNumber: 1234 }
 */
export function riskOf(state: IndexerState, token: string, block: number): TokenRisk | null {
  const { store } = state
  const tracked = store.get('tracked', token)
  if (!tracked) return null
  const whole = tracked.complete
  const balances = state.holdings.get(token)
  const supply = sumOf(balances)
  const pairs = new Set(store.get('pairsOf', token) ?? [])
  const counted = (holder: string) => !pairs.has(holder) && !burnAddresses.has(holder)
  const share = (wallets: readonly string[]) => (whole ? percentOf(wallets.reduce((s, w) => s + (balances?.get(w) ?? 0n), 0n), supply) : null)
  const groups: Groups = store.get('groups', token) ?? { snipers: [], bundles: [], insiders: [] }
  const group = (wallets: readonly string[], known: boolean): WalletGroup | null => (known ? { count: wallets.length, heldPercent: share(wallets) } : null)
  const launched = tracked.launchBlock !== null
  const taxes = store.get('taxes', token)
  const risk: Omit<TokenRisk, 'complete'> = {
    holders: whole ? [...(balances?.keys() ?? [])].filter(counted).length : null,
    top10Percent: whole ? percentOf(largest(balances, 10, counted).reduce((s, [, b]) => s + b, 0n), supply) : null,
    devHeldPercent: share([tracked.creator]),
    snipers: group(groups.snipers, launched),
    bundles: group(groups.bundles, launched),
    // Insiders before the launch are known only from a whole history.
    insiders: group(groups.insiders, whole),
    lp: lpOf(state, tracked.pair, tracked.creator),
    buyTaxPercent: taxes?.buy ?? null,
    sellTaxPercent: taxes?.sell ?? null,
    honeypot: store.get('sellChecks', token)?.honeypot ?? null,
    blockNumber: block,
  }
  return { ...risk, complete: Object.values(risk).every((v) => v !== null && (typeof v !== 'object' || !('heldPercent' in v) || v.heldPercent !== null)) }
}

/** The launch pair's LP tokens: burned, held by the creator, held by others (% of the LP supply). */
function lpOf(state: IndexerState, pair: string | null, creator: string): TokenRisk['lp'] {
  const lp = pair === null ? undefined : state.holdings.get(pair)
  const supply = sumOf(lp)
  if (!lp || supply === 0n) return null
  let burned = 0n
  for (const b of burnAddresses) burned += lp.get(b) ?? 0n
  const burnedPercent = percentOf(burned, supply)!
  const creatorPercent = percentOf(lp.get(creator) ?? 0n, supply)!
  return { burnedPercent, creatorPercent, othersPercent: Math.round((100 - burnedPercent - creatorPercent) * 100) / 100 }
}

/** The figures that matter when comparing two readings (everything but the block). */
export function sameRisk(a: TokenRisk | undefined, b: TokenRisk): boolean {
  if (!a) return false
  return JSON.stringify({ ...a, blockNumber: 0 }) === JSON.stringify({ ...b, blockNumber: 0 })
}

/**
 * The `limit` largest holders of a followed token, with their share of the supply and who they are.
 *
 * @example
 * holderRows(state, token) // [{ address: '0xPair…', balance: '500000000000000000000000', percent: 50, labels: ['pair'] }, …]
 */
export function holderRows(state: IndexerState, token: string, limit = HOLDER_ROWS): HolderRow[] {
  const tracked = state.store.get('tracked', token)
  if (!tracked) return []
  const balances = state.holdings.get(token)
  const supply = sumOf(balances)
  const pairs = new Set(state.store.get('pairsOf', token) ?? [])
  const groups = state.store.get('groups', token)
  return largest(balances, limit).map(([address, balance]) => {
    const labels: HolderLabel[] = []
    if (address === tracked.creator) labels.push('creator')
    if (pairs.has(address)) labels.push('pair')
    if (burnAddresses.has(address)) labels.push('burn')
    if (groups?.snipers.includes(address)) labels.push('sniper')
    if (groups?.bundles.includes(address)) labels.push('bundle')
    if (groups?.insiders.includes(address)) labels.push('insider')
    return { address, balance: balance.toString(), percent: tracked.complete ? percentOf(balance, supply) : null, labels }
  })
}
