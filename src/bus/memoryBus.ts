import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import type { Channel } from '../protocol/items.js'
import type { Bus, BusListener, BusMessage, BusPayload } from './bus.js'

export type MemoryBusOptions = {
  /** How many messages per channel `history` can replay. */
  historySize: number
  logger?: Logger
}

type ChannelState = { seq: number; ring: BusMessage[]; listeners: Set<BusListener> }

/**
 * The in-process bus: sequence numbers and a bounded history per channel, synchronous fan-out.
 *
 * @example
 * const bus = createMemoryBus({ historySize: 1000 })
 * bus.subscribe('trades', (m) => console.log(m.seq))
 * await bus.publish('trades', { kind: 'data', items: [trade] }) // 1
 */
export function createMemoryBus({ historySize, logger }: MemoryBusOptions): Bus {
  const channels = new Map<Channel, ChannelState>()

  function state(channel: Channel): ChannelState {
    let s = channels.get(channel)
    if (!s) channels.set(channel, (s = { seq: 0, ring: [], listeners: new Set() }))
    return s
  }

  return {
    epoch: randomUUID(),
    async publish(channel: Channel, payload: BusPayload) {
      const s = state(channel)
      const message = { ...payload, channel, seq: ++s.seq } as BusMessage
      if (historySize > 0) {
        s.ring.push(message)
        if (s.ring.length > historySize) s.ring.shift()
      }
      for (const listener of s.listeners) {
        try {
          listener(message)
        } catch (err) {
          logger?.error({ err, channel }, 'bus listener threw')
        }
      }
      return message.seq
    },
    subscribe(channel, listener) {
      const s = state(channel)
      s.listeners.add(listener)
      return () => s.listeners.delete(listener)
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
    async close() {
      for (const s of channels.values()) s.listeners.clear()
    },
  }
}
