import type { ChannelParams } from './clientMessages.js'
import type { ErrorCode } from './errors.js'
import { channels, type Channel, type ChannelItems } from './items.js'
import type { Tier } from './tiers.js'

/** The `id` of the client message a reply answers (echoed). */
export type ReplyId = { id?: string | number }

/** Right after the connection opens. `epoch` names the numbering of `seq`; `tier`/`expiresAt` only with JWT configured. */
export type ConnectedMessage = { type: 'connected'; clientId: string; timestamp: number; epoch: string; tier?: Tier; expiresAt?: number | null }

/** Reply to `auth`: the connection's tier now, until `expiresAt` (Unix seconds). */
export type AuthenticatedMessage = { type: 'authenticated'; tier: Tier; expiresAt: number | null } & ReplyId

/**
 * A subscribe was applied: the effective params, the seq the stream continues after, `resumed` for
 * a `since`. Sent unasked (no `id`) with `resumed: false` and `epoch` when the channel was renumbered.
 */
export type SubscribedMessage<C extends Channel = Channel> = { type: 'subscribed'; channel: C; params: ChannelParams[C]; seq: number; resumed?: boolean; epoch?: string } & ReplyId

/** The client left a channel (`params`: what stays subscribed after a partial unsubscribe). Unasked when a token expired. */
export type UnsubscribedMessage<C extends Channel = Channel> = { type: 'unsubscribed'; channel: C; params?: ChannelParams[C] } & ReplyId

/** Items of a channel under the bus message's `seq`; `snapshot: true` marks the snapshot sent on subscribe. */
export type DataMessage<C extends Channel = Channel> = { type: 'data'; channel: C; data: { [K in C]: ChannelItems[K][] }; seq: number; snapshot?: true }

/** A chain reorganisation retracted delivered items: by transaction, and on `alerts` also by alert `id`. */
export type ReorgMessage<C extends Channel = Channel> = { type: 'reorg'; channel: C; seq: number; fromBlock: number; toBlock: number; txHashes: string[]; ids?: string[] }

/** A message could not be applied (`retryAfterMs` with `rate_limited`); the connection stays open. */
export type ErrorMessage = { type: 'error'; code: ErrorCode; message: string; retryAfterMs?: number } & ReplyId

export type PongMessage = { type: 'pong'; timestamp: number } & ReplyId

/** Every message the server sends, as a tagged union on `type`. The server builds each through this type; clients parse with `parseServerMessage`. */
export type ServerMessage = ConnectedMessage | AuthenticatedMessage | SubscribedMessage | UnsubscribedMessage | DataMessage | ReorgMessage | ErrorMessage | PongMessage

/** Unix time in whole seconds, the unit of every `timestamp` in the protocol. */
export function unixSeconds(now = Date.now()): number {
  return Math.floor(now / 1000)
}

/**
 * Builds a `data` frame from items that are already JSON-encoded, so each item is serialized
 * once however many subscribers receive it. `snapshot` marks the snapshot sent on subscribe.
 *
 * @example
 * encodeData('trades', 'trades', 7, ['{"txHash":"0x…"}']) // '{"type":"data","channel":"trades","data":{"trades":[…]},"seq":7}'
 */
export function encodeData(channel: Channel, key: string, seq: number, encodedItems: readonly string[], snapshot = false): string {
  return `{"type":"data","channel":"${channel}","data":{"${key}":[${encodedItems.join(',')}]},"seq":${seq}${snapshot ? ',"snapshot":true' : ''}}`
}

/** A server message that is not what the protocol says (a client got garbage, or a newer server). */
export class ServerMessageError extends Error {
  override name = 'ServerMessageError'
}

const isChannel = (v: unknown): v is Channel => typeof v === 'string' && (channels as readonly string[]).includes(v)
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string')

/** The fields each message type needs, checked by `parseServerMessage`. */
const shapes: Record<ServerMessage['type'], (m: Record<string, unknown>) => boolean> = {
  connected: (m) => typeof m['clientId'] === 'string' && typeof m['timestamp'] === 'number' && typeof m['epoch'] === 'string',
  authenticated: (m) => typeof m['tier'] === 'string' && (m['expiresAt'] === null || typeof m['expiresAt'] === 'number'),
  subscribed: (m) => isChannel(m['channel']) && isObject(m['params']) && typeof m['seq'] === 'number',
  unsubscribed: (m) => isChannel(m['channel']),
  data: (m) => isChannel(m['channel']) && typeof m['seq'] === 'number' && isObject(m['data']) && Array.isArray(m['data'][m['channel']]),
  reorg: (m) => isChannel(m['channel']) && typeof m['seq'] === 'number' && typeof m['fromBlock'] === 'number' && typeof m['toBlock'] === 'number' && isStrings(m['txHashes']) && (m['ids'] === undefined || isStrings(m['ids'])),
  error: (m) => typeof m['code'] === 'string' && typeof m['message'] === 'string',
  pong: (m) => typeof m['timestamp'] === 'number',
}

/**
 * Parses one server frame: JSON, a known `type`, and the fields that type needs. Items inside
 * `data` are the server's (typed, not re-validated field by field).
 *
 * @example
 * const m = parseServerMessage(event.data)
 * if (m.type === 'data' && m.channel === 'trades') m.data.trades // TradeItem[]
 */
export function parseServerMessage(text: string): ServerMessage {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new ServerMessageError('a server message that is not JSON')
  }
  if (!isObject(value) || typeof value['type'] !== 'string' || !(value['type'] in shapes)) throw new ServerMessageError(`an unknown server message: ${text.slice(0, 100)}`)
  if (!shapes[value['type'] as ServerMessage['type']](value)) throw new ServerMessageError(`a malformed ${value['type']} message: ${text.slice(0, 100)}`)
  return value as ServerMessage
}
