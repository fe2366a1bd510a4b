import type { ChannelParams, UnsubscribeParams } from '../protocol/clientMessages.js'
import { severities, type AlertItem, type Channel, type ChannelItems, type TradeItem } from '../protocol/items.js'

/**
 * How one channel's subscriptions are indexed and matched. A client is filed under `keysOf(params)`;
 * an item reaches the clients filed under any of `keysFor(item)` whose `accept` passes. So routing
 * costs the number of matching clients, not the number of connected ones.
 */
export type ChannelRule<C extends Channel> = {
  keysOf(params: ChannelParams[C]): string[]
  keysFor(item: ChannelItems[C]): string[]
  /** A post-filter for what an index key cannot express (thresholds); undefined when every keyed client matches. */
  accept?(params: ChannelParams[C], item: ChannelItems[C]): boolean
  /** Where only the newest item per key matters (prices: per token), the key; a slow client's queue keeps the newest. */
  replaceKey?(item: ChannelItems[C]): string
  /** Params after subscribing again: lists are merged, scalars take the newest value. */
  merge(current: ChannelParams[C], next: ChannelParams[C]): ChannelParams[C]
  /** Params after an unsubscribe naming some entries; null when nothing is left. */
  remove(current: ChannelParams[C], removed: UnsubscribeParams): ChannelParams[C] | null
}

const WILDCARD = '*'
const tokenKey = (t: string) => (t === WILDCARD ? WILDCARD : `t:${t}`)
const walletKey = (w: string) => `w:${w}`
const typeKey = (t: string) => (t === WILDCARD ? WILDCARD : `k:${t}`)

function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])]
}

function without<T extends string>(list: readonly T[], removed: readonly string[] | undefined): T[] {
  if (!removed) return [...list]
  const gone = new Set(removed)
  return list.filter((x) => !gone.has(x))
}

const prices: ChannelRule<'prices'> = {
  keysOf: (p) => p.tokens.map(tokenKey),
  keysFor: (item) => [WILDCARD, tokenKey(item.tokenAddress)],
  replaceKey: (item) => item.tokenAddress,
  merge: (a, b) => ({ tokens: union(a.tokens, b.tokens) }),
  remove(current, removed) {
    const tokens = without(current.tokens, removed.tokens)
    return tokens.length > 0 ? { tokens } : null
  },
}

const tokens: ChannelRule<'tokens'> = {
  keysOf: () => [WILDCARD],
  keysFor: () => [WILDCARD],
  merge: (_a, b) => b,
  remove: () => null,
}

function tradeValueAccepted(min: number | undefined, item: TradeItem): boolean {
  return min === undefined || (typeof item.valueUsd === 'number' && item.valueUsd >= min)
}

const trades: ChannelRule<'trades'> = {
  keysOf: (p) => [...p.tokens.map(tokenKey), ...p.wallets.map(walletKey)],
  keysFor: (item) => [WILDCARD, tokenKey(item.tokenAddress), walletKey(item.trader)],
  accept: (p, item) => tradeValueAccepted(p.minValueUsd, item),
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

function alertAccepted(p: ChannelParams['alerts'], item: AlertItem): boolean {
  if (p.tokens.length > 0 && !p.tokens.includes(item.tokenAddress)) return false
  if (p.minSeverity && severityRank(item.severity) < severityRank(p.minSeverity)) return false
  const value = item.data['valueUsd']
  return p.minValueUsd === undefined || typeof value !== 'number' || value >= p.minValueUsd
}

const alerts: ChannelRule<'alerts'> = {
  keysOf: (p) => p.types.map(typeKey),
  keysFor: (item) => [WILDCARD, typeKey(item.type)],
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

export const channelRules: { [C in Channel]: ChannelRule<C> } = { prices, tokens, trades, alerts }
