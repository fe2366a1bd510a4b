import type { WebSocket } from 'ws'
import type { ChannelParams } from '../protocol/clientMessages.js'
import type { Channel } from '../protocol/items.js'
import type { ServerMessage } from '../protocol/serverMessages.js'
import type { Tier } from '../protocol/tiers.js'
import type { Frame, Outbox } from './outbox.js'
import type { CloseReason } from './gatewayCounters.js'
import type { RateLimiter } from './rateLimiter.js'

export type { Frame } from './outbox.js'

/** One connected WebSocket client and its subscriptions. */
export type Client = {
  readonly id: string
  readonly ws: WebSocket
  readonly ip: string
  /** Effective params per subscribed channel. */
  readonly subs: Map<Channel, ChannelParams[Channel]>
  /** Newest seq delivered per channel (0: none), so replay and live delivery never repeat a message. */
  readonly lastSeq: Record<Channel, number>
  /** Frames held back per channel while a snapshot or replay is being sent (`depth`: holds not yet released); null until the first hold. */
  held: Map<Channel, { depth: number; frames: Frame[] }> | null
  /** The single send path: queued, coalesced and capped per client. */
  readonly outbox: Outbox
  /** Messages per minute this client may send. */
  readonly limiter: RateLimiter
  /** `free` until a valid premium token is presented (irrelevant when auth is off). */
  tier: Tier
  /** When the token behind `tier` expires (Unix seconds); null without a token. */
  expiresAt: number | null
  /** Cancels the pending expiry of a premium token. */
  cancelExpiry?: (() => void) | undefined
  /** The server decided to close this client: its later frames are ignored. */
  closing: boolean
  /** Why the server closed it (counted under this reason). */
  closedBy?: CloseReason
  /** Answered the last protocol ping. */
  alive: boolean
  /** When the heartbeat last pinged it (ms; 0: never). */
  pingedAt: number
  /** Serializes the handling of this client's messages. */
  queue: Promise<void>
}

export type ClientInit = { id: string; ws: WebSocket; ip: string; outbox: Outbox; limiter: RateLimiter }

/** The queue of a client with nothing to handle (one settled promise shared by all). */
const IDLE = Promise.resolve()

/** Every channel at seq 0, in one object shape for all clients. */
const noSeqs = (): Record<Channel, number> => ({ prices: 0, tokens: 0, trades: 0, alerts: 0, risk: 0 })

export function createClient({ id, ws, ip, outbox, limiter }: ClientInit): Client {
  return {
    id,
    ws,
    ip,
    outbox,
    limiter,
    tier: 'free',
    expiresAt: null,
    subs: new Map(),
    lastSeq: noSeqs(),
    held: null,
    closing: false,
    alive: true,
    pingedAt: 0,
    queue: IDLE,
  }
}

/**
 * Runs `task` after everything already queued for this client (messages are handled in order);
 * a failure goes to `onError` and never breaks the queue.
 */
export function enqueue(client: Client, task: () => void | Promise<void>, onError: (err: unknown) => void): void {
  client.queue = client.queue.then(task).catch(onError)
}

/** Sends a server message (replies, errors: encoded per client); `channel` when it belongs to that channel's stream. */
export function sendJson(client: Client, message: ServerMessage, channel?: Channel): void {
  client.outbox.send(JSON.stringify(message), channel)
}

/**
 * Delivers a channel frame: held while the client's snapshot/replay for that channel is in flight,
 * skipped if the client already has that seq.
 */
export function deliver(client: Client, channel: Channel, frame: Frame): void {
  const held = client.held === null || client.held.size === 0 ? undefined : client.held.get(channel)
  if (held) {
    held.frames.push(frame)
    return
  }
  sendInOrder(client, channel, frame)
}

/** Sends a channel frame unless the client already has its seq (live delivery and replay alike). */
export function sendInOrder(client: Client, channel: Channel, frame: Frame): void {
  if (frame.seq <= client.lastSeq[channel]) return
  client.lastSeq[channel] = frame.seq
  client.outbox.sendFrame(channel, frame)
}

/** Starts holding live frames for a channel (before a snapshot or a replay); holds nest. */
export function hold(client: Client, channel: Channel): void {
  const held = (client.held ??= new Map()).get(channel)
  if (held) held.depth++
  else client.held.set(channel, { depth: 1, frames: [] })
}

/** Sends the held frames up to `seq` now, in order, and keeps holding the newer ones. */
export function flushHeld(client: Client, channel: Channel, seq: number): void {
  const held = client.held?.get(channel)
  if (!held) return
  const due = held.frames.filter((f) => f.seq <= seq)
  held.frames = held.frames.filter((f) => f.seq > seq)
  for (const frame of due) sendInOrder(client, channel, frame)
}

/** Ends one hold; when none is left, sends what was held, in order, without repeats. */
export function release(client: Client, channel: Channel): void {
  const held = client.held?.get(channel)
  if (!held || --held.depth > 0) return
  client.held!.delete(channel)
  for (const frame of held.frames) deliver(client, channel, frame)
}
