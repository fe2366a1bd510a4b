import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import type { Channel } from '../protocol/items.js'
import type { Bus, BusListener, BusMessage, Publication } from './bus.js'

export type MemoryBusOptions = {
  /** How many messages per channel `history` can replay. */
  historySize: number
  logger?: Logger
}

/** The in-process bus, plus `append`: numbering and storing in the caller's turn (the memory ledger's atomic commit). */
export type MemoryBus = Bus & {
  /** Numbers and stores a publication now, synchronously; delivery follows asynchronously. */
  append(channel: Channel, publication: Publication, publishedAt?: number): BusMessage
  /** The channel's newest seq, synchronously. */
  seqOf(channel: Channel): number
}

type ChannelState = { seq: number; ring: BusMessage[]; listeners: Set<BusListener> }

/**
 * The in-process bus: sequence numbers and a bounded history per channel; delivery in a microtask
 * after the publish, in publish order. Its epoch is this process's: a restart starts a new numbering.
 *
 * @example
 * const bus = createMemoryBus({ historySize: 1000 })
 * bus.subscribe('trades', { message: (m) => console.log(m.seq) })
 * await bus.publish('trades', dataPublication(encodeItems('trades', [trade]))) // 1
 */
export function createMemoryBus({ historySize, logger }: MemoryBusOptions): MemoryBus {
  const epoch = randomUUID()
  const channels = new Map<Channel, ChannelState>()

  function state(channel: Channel): ChannelState {
    let s = channels.get(channel)
    if (!s) channels.set(channel, (s = { seq: 0, ring: [], listeners: new Set() }))
    return s
  }

  function deliver(s: ChannelState, message: BusMessage): void {
    for (const listener of s.listeners) {
      try {
        listener.message(message)
      } catch (err) {
        logger?.error({ err, channel: message.channel }, 'bus listener threw')
      }
    }
  }

  function append(channel: Channel, publication: Publication, publishedAt = Date.now()): BusMessage {
    const s = state(channel)
    const message = Object.freeze({ ...publication, channel, seq: ++s.seq, publishedAt }) as BusMessage
    if (historySize > 0) {
      s.ring.push(message)
      if (s.ring.length > historySize) s.ring.shift()
    }
    queueMicrotask(() => deliver(s, message))
    return message
  }

  return {
    append,
    seqOf: (channel) => state(channel).seq,
    epoch: async () => epoch,
    async publish(channel, publication) {
      return append(channel, publication).seq
    },
    subscribe(channel, listener) {
      const s = state(channel)
      s.listeners.add(listener)
      return { ready: Promise.resolve(), close: () => void s.listeners.delete(listener) }
    },
    async history(channel, since) {
      const s = state(channel)
      const messages = s.ring.filter((m) => m.seq > since)
      const oldest = s.ring[0]?.seq ?? s.seq + 1
      return { complete: since <= s.seq && (since === s.seq || oldest <= since + 1), messages, lastSeq: s.seq }
    },
    async lastSeq(channel) {
      return state(channel).seq
    },
    status: () => ({ kind: 'memory', connected: true, epoch }),
    async close() {
      for (const s of channels.values()) s.listeners.clear()
    },
  }
}
