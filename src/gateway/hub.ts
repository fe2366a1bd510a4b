import type { Logger } from 'pino'
import type { Bus, BusMessage } from '../bus/bus.js'
import type { ChannelParams, SubscribeMessage, UnsubscribeParams } from '../protocol/clientMessages.js'
import { channels, dataKey, type Channel, type ChannelItems } from '../protocol/items.js'
import { encodeData } from '../protocol/serverMessages.js'
import { channelRules, type ChannelRule } from './channelRules.js'
import { deliver, type Client, type Frame } from './client.js'

/**
 * The hub keeps the subscription index (channel → key → clients) and turns each bus message into
 * frames: every distinct selection of items is encoded once and shared by the clients that chose it.
 */
export type Hub = {
  /** The params a subscribe would leave the client with (merged with its current ones), without applying them. */
  preview(client: Client, message: SubscribeMessage): ChannelParams[Channel]
  /** Sets a client's params on a channel (null: leaves it), re-indexing it. */
  replace(client: Client, channel: Channel, params: ChannelParams[Channel] | null): void
  /** Applies an unsubscribe; returns the params left, or null when the client left the channel. */
  unsubscribe(client: Client, channel: Channel, removed: UnsubscribeParams | undefined): ChannelParams[Channel] | null
  /** Drops every subscription of a client that disconnected. */
  removeClient(client: Client): void
  /** Encodes the items of `message` that this client's current params select (replay); null if none. */
  frameFor(client: Client, message: BusMessage): Frame | null
  subscriberCount(channel: Channel): number
  /** How many items and frames have been JSON-encoded (each once, however many receivers). */
  stats(): { itemsEncoded: number; framesEncoded: number }
  close(): void
}

type Index = { byKey: Map<string, Set<Client>>; members: Set<Client> }

export function createHub({ bus, logger }: { bus: Bus; logger: Logger }): Hub {
  const indexes = new Map<Channel, Index>(channels.map((c) => [c, { byKey: new Map(), members: new Set() }]))
  const counters = { itemsEncoded: 0, framesEncoded: 0 }
  const unsubscribes = channels.map((channel) => bus.subscribe(channel, (m) => route(m)))

  function file(client: Client, channel: Channel, keys: string[], add: boolean): void {
    const { byKey } = indexes.get(channel)!
    for (const key of keys) {
      let set = byKey.get(key)
      if (add) {
        if (!set) byKey.set(key, (set = new Set()))
        set.add(client)
      } else if (set) {
        set.delete(client)
        if (set.size === 0) byKey.delete(key)
      }
    }
  }

  function setParams(client: Client, channel: Channel, next: ChannelParams[Channel] | null): void {
    const rule = channelRules[channel] as ChannelRule<Channel>
    const current = client.subs.get(channel)
    if (current) file(client, channel, rule.keysOf(current), false)
    const index = indexes.get(channel)!
    if (next) {
      file(client, channel, rule.keysOf(next), true)
      client.subs.set(channel, next)
      index.members.add(client)
    } else {
      client.subs.delete(channel)
      index.members.delete(client)
    }
  }

  /** Item positions each matching client gets, found through the index only. */
  function match(channel: Channel, items: readonly unknown[], only?: Client): Map<Client, number[]> {
    const rule = channelRules[channel] as ChannelRule<Channel>
    const { byKey } = indexes.get(channel)!
    const picked = new Map<Client, number[]>()
    const filed = (key: string): Iterable<Client> => {
      const set = byKey.get(key)
      if (!only) return set ?? []
      return set?.has(only) ? [only] : []
    }
    items.forEach((item, i) => {
      for (const key of rule.keysFor(item as ChannelItems[Channel])) {
        for (const client of filed(key)) {
          const list = picked.get(client)
          if (list?.at(-1) === i) continue
          if (rule.accept && !rule.accept(client.subs.get(channel)!, item as ChannelItems[Channel])) continue
          if (list) list.push(i)
          else picked.set(client, [i])
        }
      }
    })
    return picked
  }

  function framesFor(message: BusMessage, picked: Map<Client, number[]>): Map<Client, Frame> {
    if (message.kind !== 'data') return new Map()
    const rule = channelRules[message.channel] as ChannelRule<Channel>
    const encoded: (string | undefined)[] = []
    const item = (i: number) => (encoded[i] ??= (counters.itemsEncoded++, JSON.stringify(message.items[i])))
    const bySelection = new Map<string, Frame>()
    const out = new Map<Client, Frame>()
    for (const [client, positions] of picked) {
      const selection = positions.join(',')
      let frame = bySelection.get(selection)
      if (!frame) {
        counters.framesEncoded++
        const items = positions.map(item)
        const text = encodeData(message.channel, dataKey[message.channel], message.seq, items)
        frame = { seq: message.seq, bytes: Buffer.from(text) }
        if (rule.replaceKey) frame.latest = { keys: positions.map((i) => rule.replaceKey!(message.items[i] as ChannelItems[Channel])), items }
        bySelection.set(selection, frame)
      }
      out.set(client, frame)
    }
    return out
  }

  function preview(client: Client, message: SubscribeMessage): ChannelParams[Channel] {
    const rule = channelRules[message.channel] as ChannelRule<Channel>
    const current = client.subs.get(message.channel)
    return current ? rule.merge(current, message.params) : message.params
  }

  function reorgFrame(message: Extract<BusMessage, { kind: 'reorg' }>): Frame {
    const { channel, seq, fromBlock, toBlock, txHashes } = message
    return { seq, bytes: Buffer.from(JSON.stringify({ type: 'reorg', channel, seq, fromBlock, toBlock, txHashes })) }
  }

  function route(message: BusMessage): void {
    const { channel } = message
    if (message.kind === 'reorg') {
      const frame = reorgFrame(message)
      for (const client of indexes.get(channel)!.members) deliver(client, channel, frame)
      return
    }
    if (message.items.length === 0) return
    for (const [client, frame] of framesFor(message, match(channel, message.items))) deliver(client, channel, frame)
    logger.trace({ channel, seq: message.seq }, 'routed bus message')
  }

  return {
    preview,
    replace: setParams,
    unsubscribe(client, channel, removed) {
      const current = client.subs.get(channel)
      const rule = channelRules[channel] as ChannelRule<Channel>
      const next = current && removed ? rule.remove(current, removed) : null
      setParams(client, channel, next)
      return next
    },
    removeClient(client) {
      for (const channel of [...client.subs.keys()]) setParams(client, channel, null)
    },
    frameFor(client, message) {
      if (message.kind === 'reorg') return client.subs.has(message.channel) ? reorgFrame(message) : null
      return framesFor(message, match(message.channel, message.items, client)).get(client) ?? null
    },
    subscriberCount: (channel) => indexes.get(channel)!.members.size,
    stats: () => ({ ...counters }),
    close() {
      for (const off of unsubscribes) off()
    },
  }
}
