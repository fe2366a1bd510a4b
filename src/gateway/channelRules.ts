import type { ChannelParams, UnsubscribeParams } from '../protocol/clientMessages.js'
import { severities, type Channel } from '../protocol/items.js'
import { tokenKey, typeKey, walletKey, type Route } from '../protocol/routing.js'

/**
 * How one channel's subscriptions are indexed and matched. A client is filed under `keysOf(params)`;
 * an item reaches the clients filed under `"*"` or any of its route's keys (`protocol/routing.ts`)
 * whose `accept` passes. So routing costs the number of matching clients, not the number of
 * connected ones, and never parses an item.
 */
export type ChannelRule<C extends Channel> = {
  keysOf(params: ChannelParams[C]): string[]
  /**
   * Params that select every item of the channel (`"*"` without filters): such clients share the
   * whole message's frame, found without any per-client matching.
   */
  selectsAll(params: ChannelParams[C]): boolean
  /** A post-filter for what an index key cannot express (thresholds); undefined when every keyed client matches. */
  accept?(params: ChannelParams[C], route: Route): boolean
  /** Params after subscribing again: lists are merged, scalars take the newest value. */
  merge(current: ChannelParams[C], next: ChannelParams[C]): ChannelParams[C]
  /** Params after an unsubscribe naming some entries; null when nothing is left. */
  remove(current: ChannelParams[C], removed: UnsubscribeParams): ChannelParams[C] | null
}

function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])]
}

function without<T extends string>(list: readonly T[], removed: readonly string[] | undefined): T[] {
  if (!removed) return [...list]
  const gone = new Set(removed)
  return list.filter((x) => !gone.has(x))
}

/** Prices and risk: a token list (or `"*"`), each token's newest item replacing older ones. */
const perToken: ChannelRule<'prices' | 'risk'> = {
  keysOf: (p) => p.tokens.map(tokenKey),
  selectsAll: (p) => p.tokens.includes('*'),
  merge: (a, b) => ({ tokens: union(a.tokens, b.tokens) }),
  remove(current, removed) {
    const tokens = without(current.tokens, removed.tokens)
    return tokens.length > 0 ? { tokens } : null
  },
}

const hasLaunchFilter = (p: ChannelParams['tokens']) =>
  p.minLiquidityUsd !== undefined || p.maxDevHeldPercent !== undefined || p.lpBurnedOnly === true || p.excludeHoneypots === true

/**
 * The launch filters. A threshold needs the figure known (an unknown liquidity or creator share does
 * not pass); `excludeHoneypots` drops only launches known to be honeypots.
 */
export function launchAccepted(p: ChannelParams['tokens'], route: Route): boolean {
  const facts = route.launch
  if (!facts) return !hasLaunchFilter(p)
  if (p.minLiquidityUsd !== undefined && (facts.liquidityUsd === null || facts.liquidityUsd < p.minLiquidityUsd)) return false
  if (p.maxDevHeldPercent !== undefined && (facts.devHeldPercent === null || facts.devHeldPercent > p.maxDevHeldPercent)) return false
  if (p.lpBurnedOnly && !(facts.lpBurnedPercent !== null && facts.lpBurnedPercent >= LP_BURNED_PERCENT)) return false
  return !(p.excludeHoneypots && facts.honeypot === true)
}

/** `lpBurnedOnly`: at least this share of the LP tokens is burned. */
export const LP_BURNED_PERCENT = 95

const tokens: ChannelRule<'tokens'> = {
  keysOf: () => ['*'],
  selectsAll: (p) => !hasLaunchFilter(p),
  accept: launchAccepted,
  merge: (_a, b) => b,
  remove: () => null,
}

function tradeValueAccepted(min: number | undefined, route: Route): boolean {
  return min === undefined || (typeof route.valueUsd === 'number' && route.valueUsd >= min)
}

const trades: ChannelRule<'trades'> = {
  keysOf: (p) => [...p.tokens.map(tokenKey), ...p.wallets.map(walletKey)],
  selectsAll: (p) => p.tokens.includes('*') && p.minValueUsd === undefined,
  accept: (p, route) => tradeValueAccepted(p.minValueUsd, route),
  merge(a, b) {
    const merged = { tokens: union(a.tokens, b.tokens), wallets: union(a.wallets, b.wallets) }
    const minValueUsd = b.minValueUsd ?? a.minValueUsd
    return minValueUsd === undefined ? merged : { ...merged, minValueUsd }
  },
  remove(current, removed) {
    const next = { ...current, tokens: without(current.tokens, removed.tokens), wallets: without(current.wallets, removed.wallets) }
    return next.tokens.length + next.wallets.length > 0 ? next : null
  },
}

const severityRank = (s: string) => severities.indexOf(s as (typeof severities)[number])

function alertAccepted(p: ChannelParams['alerts'], route: Route): boolean {
  if (p.tokens.length > 0 && !p.tokens.includes(route.token ?? '')) return false
  if (p.minSeverity && severityRank(route.severity ?? 'info') < severityRank(p.minSeverity)) return false
  const value = route.valueUsd
  return p.minValueUsd === undefined || typeof value !== 'number' || value >= p.minValueUsd
}

const alerts: ChannelRule<'alerts'> = {
  keysOf: (p) => p.types.map(typeKey),
  selectsAll: (p) => p.types.includes('*') && p.tokens.length === 0 && !p.minSeverity && p.minValueUsd === undefined,
  accept: alertAccepted,
  merge(a, b) {
    const merged: ChannelParams['alerts'] = { types: union(a.types, b.types) as typeof a.types, tokens: union(a.tokens, b.tokens) }
    const minSeverity = b.minSeverity ?? a.minSeverity
    const minValueUsd = b.minValueUsd ?? a.minValueUsd
    if (minSeverity) merged.minSeverity = minSeverity
    if (minValueUsd !== undefined) merged.minValueUsd = minValueUsd
    return merged
  },
  remove(current, removed) {
    if (!removed.types && !removed.tokens) return null
    const types = without(current.types, removed.types)
    return types.length > 0 ? { ...current, types, tokens: without(current.tokens, removed.tokens) } : null
  },
}

export const channelRules: { [C in Channel]: ChannelRule<C> } = { prices: perToken as ChannelRule<'prices'>, tokens, trades, alerts, risk: perToken as ChannelRule<'risk'> }
