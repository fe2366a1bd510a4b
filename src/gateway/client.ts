import type { WebSocket } from 'ws'
import type { ChannelParams } from '../protocol/clientMessages.js'
import type { Channel } from '../protocol/items.js'

/** A frame ready for the wire: encoded once, shared by every client that receives it. */
export type Frame = { seq: number; bytes: Buffer }

/** One connected WebSocket client and its subscriptions. */
export type Client = {
  readonly id: string
  readonly ws: WebSocket
  readonly ip: string
  /** Effective params per subscribed channel. */
  readonly subs: Map<Channel, ChannelParams[Channel]>
  /** Newest seq delivered per channel, so replay and live delivery never repeat a message. */
  readonly lastSeq: Map<Channel, number>
  /** Frames held back per channel while a snapshot or replay is being sent. */
  readonly held: Map<Channel, Frame[]>
  /** Answered the last protocol ping. */
  alive: boolean
  /** Serializes the handling of this client's messages. */
  queue: Promise<void>
}

export function createClient(id: string, ws: WebSocket, ip: string): Client {
  return { id, ws, ip, subs: new Map(), lastSeq: new Map(), held: new Map(), alive: true, queue: Promise.resolve() }
}

/** Sends one encoded message if the socket is still open. */
export function sendRaw(client: Client, bytes: Buffer | string): void {
  if (client.ws.readyState === client.ws.OPEN) client.ws.send(bytes, { binary: false })
}

/** Sends a server message object (replies, errors: rare messages, encoded per client). */
export function sendJson(client: Client, message: object): void {
  sendRaw(client, JSON.stringify(message))
}

/**
 * Delivers a channel frame: held while the client's snapshot/replay for that channel is in flight,
 * skipped if the client already has that seq.
 */
export function deliver(client: Client, channel: Channel, frame: Frame): void {
  const held = client.held.get(channel)
  if (held) {
    held.push(frame)
    return
  }
  if (frame.seq <= (client.lastSeq.get(channel) ?? 0)) return
  client.lastSeq.set(channel, frame.seq)
  sendRaw(client, frame.bytes)
}

/** Starts holding live frames for a channel (before a snapshot or a replay). */
export function hold(client: Client, channel: Channel): void {
  if (!client.held.has(channel)) client.held.set(channel, [])
}

/** Stops holding and sends what was held, in order, without repeats. */
export function release(client: Client, channel: Channel): void {
  const held = client.held.get(channel)
  if (!held) return
  client.held.delete(channel)
  for (const frame of held) deliver(client, channel, frame)
}
