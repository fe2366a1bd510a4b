import type { Duplex } from 'node:stream'
import type { WebSocket } from 'ws'
import { channels, dataKey, type Channel } from '../protocol/items.js'
import { encodeData } from '../protocol/serverMessages.js'
import { framePayload, textFrame } from './wireFrame.js'

/** A frame ready for the wire: encoded once, shared by every client that receives it. */
export type Frame = {
  seq: number
  /** The message (JSON). */
  bytes: Buffer
  /** The same message as a WebSocket frame (`textFrame`): what a connection without extensions gets. */
  wire: Buffer
  /**
   * The frame's items with the key under which a newer item replaces an older one (prices: the
   * token). Present only on channels where just the latest item per key matters.
   */
  latest?: { keys: readonly string[]; items: readonly string[] }
}

/** Pending newest items per key of one channel, written as one `data` frame under the newest seq. */
type Slot = { channel: Channel; seq: number; items: Map<string, string> }
type Entry = Buffer | Slot

const SLOT_OVERHEAD = 64
/** `ws.send` options of every frame (text). */
const TEXT = { binary: false } as const

/**
 * One client's outgoing queue: the single send path. Messages are written on the next tick, all of
 * a client's pending messages in one corked socket write. While the socket has not drained, the
 * queue waits; `latest` frames then replace each other per key instead of piling up; and when the
 * queued bytes plus the socket's buffer pass `maxBytes`, everything is dropped and `onOverflow` runs.
 */
export type Outbox = {
  /** Queues a whole message; `channel` marks it as part of that channel's stream (ends any merging). */
  send(data: Buffer | string, channel?: Channel): void
  /** Queues a channel frame, merging `latest` items while the client is behind. */
  sendFrame(channel: Channel, frame: Frame): void
  /** Writes what is queued unless the socket still has to drain. */
  flush(): void
  /** Writes everything queued now (drained or not), then closes the WebSocket. */
  end(code: number, reason: string): void
  /** Drops everything queued; nothing more is accepted. */
  discard(): void
  /** Bytes queued here (not yet handed to the socket). */
  queuedBytes(): number
}

/** Flushes dirty outboxes once per event-loop turn, so one turn's messages share one write. */
export type Flusher = {
  /** Flushes `outbox` at the end of this turn (an outbox marks itself once per turn: see `queued`). */
  mark(outbox: Outbox): void
}

export function createFlusher(onError: (err: unknown) => void): Flusher {
  let dirty: Outbox[] = []
  let scheduled = false
  function run(): void {
    scheduled = false
    const list = dirty
    dirty = []
    for (const outbox of list) {
      try {
        outbox.flush()
      } catch (err) {
        onError(err)
      }
    }
  }
  return {
    mark(outbox) {
      dirty.push(outbox)
      if (!scheduled) {
        scheduled = true
        setImmediate(run)
      }
    },
  }
}

/** What the outboxes of a gateway sent, per channel, and the price ticks they replaced (shared; read by /metrics and /health). */
export type Traffic = { messages: Record<string, number>; bytes: Record<string, number>; replaced: number }

export function createTraffic(): Traffic {
  // Every channel's key from the start: one object shape, cheap increments on the hot path.
  const zero = () => Object.fromEntries(channels.map((c) => [c, 0]))
  return { messages: zero(), bytes: zero(), replaced: 0 }
}

function count(traffic: Traffic | undefined, channel: string, bytes: number): void {
  if (!traffic) return
  traffic.messages[channel]! += 1
  traffic.bytes[channel]! += bytes
}

export type OutboxOptions = {
  ws: WebSocket
  /** The connection's socket (the one the upgrade arrived on): corked around a batch, watched for drain. */
  socket: Duplex
  /** MAX_QUEUED_BYTES: queued here plus `ws.bufferedAmount`. */
  maxBytes: number
  flusher: Flusher
  /** The client fell behind by more than `maxBytes` (the queue is already dropped). */
  onOverflow(): void
  /** Counts what is sent per channel (channel messages only, not replies). */
  traffic?: Traffic
}

/**
 * @example
 * const outbox = createOutbox({ ws, socket, maxBytes: 4 << 20, flusher, onOverflow: () => ws.close(4008) })
 * outbox.send(JSON.stringify({ type: 'pong', timestamp }))
 */
export function createOutbox(options: OutboxOptions): Outbox {
  return new ClientOutbox(options)
}

/**
 * One per connection, so its state is plain fields and its methods are on the prototype (no
 * closures per connection); per delivered frame it does a queue append and, once per turn, a mark.
 */
class ClientOutbox implements Outbox {
  private readonly ws: WebSocket
  private readonly socket: Duplex
  private readonly maxBytes: number
  private readonly flusher: Flusher
  private readonly onOverflow: () => void
  private readonly traffic: Traffic | undefined
  /**
   * No extension negotiated (no permessage-deflate): frames go to the socket as built, shared by
   * every such client (the queue holds wire frames). Otherwise `ws.send` frames (and compresses) each.
   */
  private readonly framed: boolean
  private entries: Entry[] = []
  private bytes = 0
  /** Price merges in progress (only while behind), created on first use. */
  private slots: Map<Channel, Slot> | null = null
  private waitingForDrain = false
  private dead = false
  /** Handed to the flusher for this turn already. */
  private marked = false
  /**
   * `ws.bufferedAmount` right after our last write: an upper bound of it until the next write (only
   * our writes add to it), so a frame that cannot overflow is queued without touching the socket.
   */
  private buffered = 0

  constructor({ ws, socket, maxBytes, flusher, onOverflow, traffic }: OutboxOptions) {
    this.ws = ws
    this.socket = socket
    this.maxBytes = maxBytes
    this.flusher = flusher
    this.onOverflow = onOverflow
    this.traffic = traffic
    this.framed = ws.extensions === ''
  }

  send(data: Buffer | string, channel?: Channel): void {
    if (this.dead) return
    if (channel) {
      this.slots?.delete(channel)
      count(this.traffic, channel, typeof data === 'string' ? Buffer.byteLength(data) : data.length)
    }
    this.push(this.bytesOf(data))
  }

  sendFrame(channel: Channel, frame: Frame): void {
    if (this.dead) return
    if (frame.latest && this.behind()) return this.merge(channel, frame.seq, frame.latest)
    this.slots?.delete(channel)
    count(this.traffic, channel, frame.bytes.length)
    this.push(this.framed ? frame.wire : frame.bytes)
  }

  flush(): void {
    this.marked = false
    if (this.dead || this.entries.length === 0) return
    if (this.ws.readyState !== this.ws.OPEN) return this.discard()
    if (!this.socket.writableNeedDrain) return this.write()
    if (this.waitingForDrain) return
    this.waitingForDrain = true
    this.socket.once('drain', () => {
      this.waitingForDrain = false
      this.flush()
    })
  }

  end(code: number, reason: string): void {
    if (!this.dead && this.ws.readyState === this.ws.OPEN && this.entries.length > 0) this.write()
    this.discard()
    this.ws.close(code, reason)
  }

  discard(): void {
    this.dead = true
    this.entries = []
    this.bytes = 0
    this.slots = null
  }

  queuedBytes(): number {
    return this.bytes
  }

  private behind(): boolean {
    return this.waitingForDrain || this.socket.writableNeedDrain
  }

  private queued(): void {
    if (this.bytes + this.buffered > this.maxBytes && this.behind() && this.bytes + this.ws.bufferedAmount > this.maxBytes) {
      this.discard()
      this.onOverflow()
      return
    }
    if (this.marked) return
    this.marked = true
    this.flusher.mark(this)
  }

  private push(buffer: Buffer): void {
    this.entries.push(buffer)
    this.bytes += buffer.length
    this.queued()
  }

  /** A whole message as the queue holds it: its wire frame, or (with an extension) its payload for `ws.send`. */
  private bytesOf(data: Buffer | string): Buffer {
    if (!this.framed) return typeof data === 'string' ? Buffer.from(data) : data
    return typeof data === 'string' ? textFrame(data).wire : framePayload(data)
  }

  /** A merged slot's message, counted as sent. */
  private slotBytes(slot: Slot): Buffer {
    const text = encodeSlot(slot)
    count(this.traffic, slot.channel, Buffer.byteLength(text))
    return this.bytesOf(text)
  }

  private merge(channel: Channel, seq: number, latest: NonNullable<Frame['latest']>): void {
    const slots = (this.slots ??= new Map())
    let slot = slots.get(channel)
    if (!slot) {
      slots.set(channel, (slot = { channel, seq, items: new Map() }))
      this.entries.push(slot)
      this.bytes += SLOT_OVERHEAD
    }
    slot.seq = seq
    for (let i = 0; i < latest.keys.length; i++) {
      const key = latest.keys[i]!
      const previous = slot.items.get(key)
      if (previous !== undefined) {
        this.bytes -= previous.length + key.length
        if (this.traffic) this.traffic.replaced++
      }
      slot.items.set(key, latest.items[i]!)
      this.bytes += latest.items[i]!.length + key.length
    }
    this.queued()
  }

  private write(): void {
    const batch = this.entries
    this.entries = []
    this.bytes = 0
    this.slots = null
    const { ws, socket, framed } = this
    socket.cork()
    try {
      for (const entry of batch) {
        const bytes = Buffer.isBuffer(entry) ? entry : this.slotBytes(entry)
        if (framed) socket.write(bytes)
        else ws.send(bytes, TEXT)
      }
    } finally {
      socket.uncork()
      this.buffered = ws.bufferedAmount
    }
  }
}

function encodeSlot(slot: Slot): string {
  return encodeData(slot.channel, dataKey[slot.channel], slot.seq, [...slot.items.values()])
}
