import type { Duplex } from 'node:stream'
import type { WebSocket } from 'ws'
import { channels, dataKey, type Channel } from '../protocol/items.js'
import { encodeData } from '../protocol/serverMessages.js'

/** A frame ready for the wire: encoded once, shared by every client that receives it. */
export type Frame = {
  seq: number
  bytes: Buffer
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
export type Flusher = { mark(outbox: Outbox): void }

export function createFlusher(onError: (err: unknown) => void): Flusher {
  const dirty = new Set<Outbox>()
  let scheduled = false
  function run(): void {
    scheduled = false
    const list = [...dirty]
    dirty.clear()
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
      dirty.add(outbox)
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
export function createOutbox({ ws, socket, maxBytes, flusher, onOverflow, traffic }: OutboxOptions): Outbox {
  let entries: Entry[] = []
  let bytes = 0
  const slots = new Map<Channel, Slot>()
  let waitingForDrain = false
  let dead = false

  const behind = () => waitingForDrain || socket.writableNeedDrain

  function queued(): void {
    if (behind() && bytes + ws.bufferedAmount > maxBytes) {
      discard()
      onOverflow()
      return
    }
    flusher.mark(outbox)
  }

  function push(data: Buffer | string): void {
    const buffer = typeof data === 'string' ? Buffer.from(data) : data
    entries.push(buffer)
    bytes += buffer.length
    queued()
  }

  function merge(channel: Channel, seq: number, latest: NonNullable<Frame['latest']>): void {
    let slot = slots.get(channel)
    if (!slot) {
      slots.set(channel, (slot = { channel, seq, items: new Map() }))
      entries.push(slot)
      bytes += SLOT_OVERHEAD
    }
    slot.seq = seq
    latest.keys.forEach((key, i) => {
      const previous = slot.items.get(key)
      if (previous !== undefined) {
        bytes -= previous.length + key.length
        if (traffic) traffic.replaced++
      }
      slot.items.set(key, latest.items[i]!)
      bytes += latest.items[i]!.length + key.length
    })
    queued()
  }

  function write(): void {
    const batch = entries
    entries = []
    bytes = 0
    slots.clear()
    socket.cork()
    try {
      for (const entry of batch) {
        if (Buffer.isBuffer(entry)) ws.send(entry, { binary: false })
        else {
          const text = encodeSlot(entry)
          count(traffic, entry.channel, Buffer.byteLength(text))
          ws.send(text, { binary: false })
        }
      }
    } finally {
      socket.uncork()
    }
  }

  function discard(): void {
    dead = true
    entries = []
    bytes = 0
    slots.clear()
  }

  const outbox: Outbox = {
    send(data, channel) {
      if (dead) return
      if (channel) {
        slots.delete(channel)
        count(traffic, channel, typeof data === 'string' ? Buffer.byteLength(data) : data.length)
      }
      push(data)
    },
    sendFrame(channel, frame) {
      if (dead) return
      if (frame.latest && behind()) return merge(channel, frame.seq, frame.latest)
      slots.delete(channel)
      count(traffic, channel, frame.bytes.length)
      push(frame.bytes)
    },
    flush() {
      if (dead || entries.length === 0) return
      if (ws.readyState !== ws.OPEN) return discard()
      if (!socket.writableNeedDrain) return write()
      if (waitingForDrain) return
      waitingForDrain = true
      socket.once('drain', () => {
        waitingForDrain = false
        outbox.flush()
      })
    },
    end(code, reason) {
      if (!dead && ws.readyState === ws.OPEN && entries.length > 0) write()
      discard()
      ws.close(code, reason)
    },
    discard,
    queuedBytes: () => bytes,
  }
  return outbox
}

function encodeSlot(slot: Slot): string {
  return encodeData(slot.channel, dataKey[slot.channel], slot.seq, [...slot.items.values()])
}
