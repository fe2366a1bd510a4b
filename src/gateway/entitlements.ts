import type { AlertsParams, ChannelParams, SubscribeMessage } from '../protocol/clientMessages.js'
import { ErrorCode, ProtocolError } from '../protocol/errors.js'
import type { Channel } from '../protocol/items.js'
import { freeAlertTypes, premiumAlertTypes, type Tier } from '../protocol/tiers.js'

/** The limits of one tier. */
export type Limits = { ratePerMin: number; maxTokens: number }

/**
 * Who may do what. With auth off, every connection has every feature and the free limits;
 * with auth on, premium features need a premium token.
 */
export type Policy = { authEnabled: boolean; free: Limits; premium: Limits }

export function limitsOf(policy: Policy, tier: Tier): Limits {
  return policy.authEnabled && tier === 'premium' ? policy.premium : policy.free
}

export function hasPremiumFeatures(policy: Policy, tier: Tier): boolean {
  return !policy.authEnabled || tier === 'premium'
}

const WILDCARD = '*'
const isPremiumType = (t: string) => (premiumAlertTypes as readonly string[]).includes(t)

function premiumRequired(what: string): ProtocolError {
  return new ProtocolError(ErrorCode.premiumRequired, `${what} needs a premium token`)
}

/** A free `"*"` alert type means the free types. */
function freeTypes(types: AlertsParams['types']): AlertsParams['types'] {
  return [...new Set(types.flatMap((t) => (t === WILDCARD ? [...freeAlertTypes] : [t])))]
}

/**
 * What a subscribe may ask for: unchanged with premium features; for a free connection it throws
 * `premium_required` on `"*"` tokens (prices, trades, risk) and on whale/rug alerts, and turns alert
 * type `"*"` into the free types.
 *
 * @example
 * entitle({ type: 'subscribe', channel: 'trades', params: { tokens: ['*'], wallets: [] } }, false) // throws premium_required
 */
export function entitle(message: SubscribeMessage, premium: boolean): SubscribeMessage {
  if (premium) return message
  switch (message.channel) {
    case 'prices':
    case 'trades':
    case 'risk':
      if (message.params.tokens.includes(WILDCARD)) throw premiumRequired(`"*" (every token) on ${message.channel}`)
      return message
    case 'alerts': {
      const premiumType = message.params.types.find(isPremiumType)
      if (premiumType) throw premiumRequired(`the ${premiumType} alert type`)
      return { ...message, params: { ...message.params, types: freeTypes(message.params.types) } }
    }
    case 'tokens':
      return message
  }
}

/** A channel's params without premium features; the same object when nothing changes, null when nothing is left. */
export function stripPremium<C extends Channel>(channel: C, params: ChannelParams[C]): ChannelParams[C] | null {
  const p = params as ChannelParams[Channel]
  if (channel === 'prices' || channel === 'trades' || channel === 'risk') {
    const { tokens } = p as ChannelParams['prices' | 'trades' | 'risk']
    if (!tokens.includes(WILDCARD)) return params
    const next = { ...p, tokens: tokens.filter((t) => t !== WILDCARD) }
    const left = next.tokens.length + ((next as Partial<ChannelParams['trades']>).wallets?.length ?? 0)
    return left > 0 ? (next as ChannelParams[C]) : null
  }
  if (channel === 'alerts') {
    const { types } = p as AlertsParams
    if (!types.some((t) => t === WILDCARD || isPremiumType(t))) return params
    const kept = freeTypes(types).filter((t) => !isPremiumType(t))
    return kept.length > 0 ? ({ ...p, types: kept } as ChannelParams[C]) : null
  }
  return params
}

/** Entries (tokens, wallets, `"*"`) one channel's params name. */
function addressesOf(params: ChannelParams[Channel]): number {
  const p = params as Partial<ChannelParams['trades']>
  return (p.tokens?.length ?? 0) + (p.wallets?.length ?? 0)
}

/**
 * Throws `too_many_tokens` when giving `channel` the params `next` would make the connection name
 * more than `max` addresses across its channels (checked before anything is applied).
 */
export function checkTokenLimit(
  subs: ReadonlyMap<Channel, ChannelParams[Channel]>,
  channel: Channel,
  next: ChannelParams[Channel],
  max: number,
): void {
  let total = addressesOf(next)
  for (const [c, params] of subs) if (c !== channel) total += addressesOf(params)
  const before = [...subs.values()].reduce((n, p) => n + addressesOf(p), 0)
  if (total > max && total > before) {
    throw new ProtocolError(ErrorCode.tooManyTokens, `this connection may follow at most ${max} tokens and wallets across channels; this subscribe would make ${total}`)
  }
}
