import type { ErrorCode } from './errors.js'
import type { Channel } from './items.js'
import type { Tier } from './tiers.js'

type Id = { id?: string | number }

/** Every message the server sends, as a tagged union on `type`. */
export type ServerMessage =
  | { type: 'connected'; clientId: string; timestamp: number; epoch: string; tier?: Tier; expiresAt?: number | null }
  | ({ type: 'authenticated'; tier: Tier; expiresAt: number | null } & Id)
  | ({ type: 'subscribed'; channel: Channel; params: unknown; seq: number; resumed?: boolean } & Id)
  | ({ type: 'unsubscribed'; channel: Channel; params?: unknown } & Id)
  | { type: 'data'; channel: Channel; data: Record<string, unknown[]>; seq: number }
  | ({ type: 'error'; code: ErrorCode; message: string; retryAfterMs?: number } & Id)
  | ({ type: 'pong'; timestamp: number } & Id)
  | { type: 'reorg'; channel: Channel; seq: number; fromBlock: number; toBlock: number; txHashes: string[] }

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
