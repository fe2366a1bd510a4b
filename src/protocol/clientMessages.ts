import { z } from 'zod'
import { checksum, isHexAddress } from './address.js'
import { ErrorCode, ProtocolError } from './errors.js'
import { alertTypes, channels, severities, type AlertType, type Channel, type Severity } from './items.js'

/** Upper bound on any list in a message; the per-connection limits are enforced by the gateway. */
const MAX_LIST = 1000
/** Upper bound on a JWT sent in an `auth` message. */
const MAX_TOKEN_CHARS = 8192

const id = z.union([z.string().max(128), z.number().finite()]).optional()
const since = z.number().int().min(0).optional()

const tokenList = z.array(z.string().max(64)).max(MAX_LIST)
const walletList = z.array(z.string().max(64)).max(MAX_LIST)
const usd = z.number().finite().min(0)

const paramSchemas = {
  prices: z.strictObject({ tokens: tokenList.min(1), since }),
  tokens: z.strictObject({
    includeRecent: z.boolean().optional(),
    minLiquidityUsd: usd.optional(),
    maxDevHeldPercent: z.number().finite().min(0).max(100).optional(),
    lpBurnedOnly: z.boolean().optional(),
    excludeHoneypots: z.boolean().optional(),
    since,
  }),
  trades: z
    .strictObject({ tokens: tokenList.optional(), wallets: walletList.optional(), minValueUsd: usd.optional(), since })
    .refine((p) => (p.tokens?.length ?? 0) + (p.wallets?.length ?? 0) > 0, { message: 'needs tokens or wallets' }),
  alerts: z.strictObject({
    types: z.array(z.enum([...alertTypes, '*'])).max(alertTypes.length + 1).optional(),
    tokens: tokenList.optional(),
    minSeverity: z.enum(severities).optional(),
    minValueUsd: usd.optional(),
    since,
  }),
  risk: z.strictObject({ tokens: tokenList.min(1), since }),
} as const

const unsubscribeParams = z.strictObject({
  tokens: tokenList.optional(),
  wallets: walletList.optional(),
  types: z.array(z.enum([...alertTypes, '*'])).max(alertTypes.length + 1).optional(),
})

/** Normalized subscription params: addresses checksummed, lists deduplicated. */
export type PricesParams = { tokens: string[] }
/** Launch filters compare the launch item's figures as published (its `risk` at the end of its block). */
export type TokensParams = { includeRecent: boolean; minLiquidityUsd?: number; maxDevHeldPercent?: number; lpBurnedOnly?: boolean; excludeHoneypots?: boolean }
export type RiskParams = { tokens: string[] }
export type TradesParams = { tokens: string[]; wallets: string[]; minValueUsd?: number }
export type AlertsParams = { types: (AlertType | '*')[]; tokens: string[]; minSeverity?: Severity; minValueUsd?: number }
export type ChannelParams = { prices: PricesParams; tokens: TokensParams; trades: TradesParams; alerts: AlertsParams; risk: RiskParams }
export type UnsubscribeParams = { tokens?: string[]; wallets?: string[]; types?: (AlertType | '*')[] }

export type SubscribeMessage = {
  [C in Channel]: { type: 'subscribe'; id?: string | number; channel: C; params: ChannelParams[C]; since?: number }
}[Channel]

export type ClientMessage =
  | SubscribeMessage
  | { type: 'unsubscribe'; id?: string | number; channel: Channel; params?: UnsubscribeParams }
  | { type: 'ping'; id?: string | number }
  | AuthMessage

/** `{"type":"auth","token":"<JWT>"}`: upgrades (or renews) the connection's tier. */
export type AuthMessage = { type: 'auth'; id?: string | number; token: string }

const envelope = z.object({ type: z.string(), id, channel: z.unknown().optional(), params: z.unknown().optional(), token: z.unknown().optional() })

/**
 * Parses one text frame into a typed client message, or throws a ProtocolError with a stable code.
 *
 * @example
 * parseClientMessage('{"type":"subscribe","channel":"trades","params":{"tokens":["*"]}}')
 */
export function parseClientMessage(text: string): ClientMessage {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    throw new ProtocolError(ErrorCode.invalidJson, 'message is not valid JSON')
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ProtocolError(ErrorCode.invalidMessage, 'message must be a JSON object')
  }
  const env = envelope.safeParse(raw)
  if (!env.success) throw new ProtocolError(ErrorCode.invalidMessage, describe(env.error))
  const { type } = env.data
  if (type === 'ping') return { type, id: env.data.id }
  if (type === 'auth') return parseAuth(env.data.token, env.data.id)
  if (type !== 'subscribe' && type !== 'unsubscribe') {
    throw new ProtocolError(ErrorCode.unknownType, `unknown message type ${JSON.stringify(type.slice(0, 32))}; expected subscribe, unsubscribe, ping or auth`)
  }
  const channel = parseChannel(env.data.channel)
  if (type === 'unsubscribe') return { type, id: env.data.id, channel, params: parseUnsubscribe(env.data.params) }
  return parseSubscribe(channel, env.data.params ?? {}, env.data.id)
}

/** Reads the `id` of a message that failed to parse, so that even an error reply can echo it. */
export function peekId(text: string): string | number | undefined {
  try {
    const raw: unknown = JSON.parse(text)
    if (typeof raw !== 'object' || raw === null) return undefined
    const parsed = id.safeParse((raw as { id?: unknown }).id)
    return parsed.success ? parsed.data : undefined
  } catch {
    return undefined
  }
}

function parseChannel(value: unknown): Channel {
  if (value === undefined) throw new ProtocolError(ErrorCode.invalidMessage, 'missing "channel"')
  if (typeof value === 'string' && (channels as readonly string[]).includes(value)) return value as Channel
  const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 32)) : typeof value
  throw new ProtocolError(ErrorCode.unknownChannel, `unknown channel ${shown}; expected one of ${channels.join(', ')}`)
}

function parseAuth(token: unknown, msgId: string | number | undefined): AuthMessage {
  if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_CHARS) {
    throw new ProtocolError(ErrorCode.invalidMessage, `auth needs "token": a JWT string of 1-${MAX_TOKEN_CHARS} characters`)
  }
  return msgId === undefined ? { type: 'auth', token } : { type: 'auth', id: msgId, token }
}

/** A list longer than its schema allows is `too_many_tokens`; anything else wrong is `invalid_params`. */
function paramsError(prefix: string, error: z.ZodError): ProtocolError {
  const tooLong = error.issues.find((i) => i.code === 'too_big' && i.origin === 'array')
  if (tooLong) return new ProtocolError(ErrorCode.tooManyTokens, `${prefix}: ${describe(error, tooLong)}`)
  return new ProtocolError(ErrorCode.invalidParams, `${prefix}: ${describe(error)}`)
}

function parseSubscribe(channel: Channel, params: unknown, msgId: string | number | undefined): SubscribeMessage {
  const parsed = paramSchemas[channel].safeParse(params)
  if (!parsed.success) throw paramsError(channel, parsed.error)
  const p = parsed.data
  const base = { type: 'subscribe' as const, id: msgId, since: p.since }
  switch (channel) {
    case 'prices':
    case 'risk':
      return { ...base, channel, params: { tokens: addresses((p as { tokens: string[] }).tokens, true) } }
    case 'tokens': {
      const { since: _since, includeRecent, ...filters } = p as z.output<(typeof paramSchemas)['tokens']>
      const params: TokensParams = { includeRecent: includeRecent ?? false, ...filters }
      return { ...base, channel, params }
    }
    case 'trades': {
      const t = p as z.output<(typeof paramSchemas)['trades']>
      const params: TradesParams = { tokens: addresses(t.tokens ?? [], true), wallets: addresses(t.wallets ?? [], false) }
      if (t.minValueUsd !== undefined) params.minValueUsd = t.minValueUsd
      return { ...base, channel, params }
    }
    case 'alerts': {
      const a = p as z.output<(typeof paramSchemas)['alerts']>
      const params: AlertsParams = { types: unique(a.types ?? ['*']), tokens: addresses(a.tokens ?? [], false) }
      if (a.minSeverity !== undefined) params.minSeverity = a.minSeverity
      if (a.minValueUsd !== undefined) params.minValueUsd = a.minValueUsd
      return { ...base, channel, params }
    }
  }
}

function parseUnsubscribe(params: unknown): UnsubscribeParams | undefined {
  if (params === undefined) return undefined
  const parsed = unsubscribeParams.safeParse(params)
  if (!parsed.success) throw paramsError('unsubscribe', parsed.error)
  const out: UnsubscribeParams = {}
  if (parsed.data.tokens) out.tokens = addresses(parsed.data.tokens, true)
  if (parsed.data.wallets) out.wallets = addresses(parsed.data.wallets, false)
  if (parsed.data.types) out.types = unique(parsed.data.types)
  return out
}

/** Validates and checksums a list of addresses (and `"*"` where allowed), dropping duplicates. */
function addresses(list: string[], allowWildcard: boolean): string[] {
  return unique(
    list.map((value) => {
      if (allowWildcard && value === '*') return '*'
      if (!isHexAddress(value)) {
        throw new ProtocolError(ErrorCode.invalidAddress, `${JSON.stringify(value.slice(0, 64))} is not a 20-byte hex address`)
      }
      return checksum(value)
    }),
  )
}

function unique<T>(list: T[]): T[] {
  return [...new Set(list)]
}

function describe(error: z.ZodError, issue = error.issues[0]): string {
  if (!issue) return 'invalid'
  const path = issue.path.length > 0 ? `${issue.path.join('.')}: ` : ''
  return `${path}${issue.message}`
}
