import type { Logger } from 'pino'
import type { Bus, BusMessage, EncodedItem } from '../bus/bus.js'
import type { ChannelParams, SubscribeMessage, UnsubscribeParams } from '../protocol/clientMessages.js'
import { channels, type Channel } from '../protocol/items.js'
import { WILDCARD } from '../protocol/routing.js'
import type { ReorgMessage } from '../protocol/serverMessages.js'
import { createChannelFeed, type ChannelFeed, type FeedBreak } from './channelFeed.js'
import { channelRules, type ChannelRule } from './channelRules.js'
import { deliver, type Client, type Frame } from './client.js'
import { createMessageFrames } from './messageFrames.js'
import { textFrame } from './wireFrame.js'

/**
 * The hub keeps the subscription index (channel → key → groups of clients with equal params), follows
 * the bus channels its clients use, and turns each bus message into frames: every group is matched
 * once, every distinct selection of items is framed once (`messageFrames.ts`: slices of the items'
 * bytes, encoded once per message) and shared by the clients that chose it; per client, a queue append.
 */
export type Hub = {
  /** The params a subscribe would leave the client with (merged with its current ones), without applying them. */
  preview(client: Client, message: SubscribeMessage): ChannelParams[Channel]
  /** Sets a client's params on a channel (null: leaves it), re-indexing it; the first subscriber opens the channel's feed. */
  replace(client: Client, channel: Channel, params: ChannelParams[Channel] | null): void
  /** Resolves once the channel's feed delivers (call after `replace`). */
  ready(channel: Channel): Promise<void>
  /** Resolves once the channel's feed has routed every message up to `seq`. */
  reached(channel: Channel, seq: number): Promise<void>
  /** Applies an unsubscribe; returns the params left, or null when the client left the channel. */
  unsubscribe(client: Client, channel: Channel, removed: UnsubscribeParams | undefined): ChannelParams[Channel] | null
  /** Drops every subscription of a client that disconnected. */
  removeClient(client: Client): void
  /** Frames the items of `message` that this client's current params select (replay); null if none. */
  frameFor(client: Client, message: BusMessage): Frame | null
  /** The clients subscribed to a channel now. */
  members(channel: Channel): ReadonlySet<Client>
  subscriberCount(channel: Channel): number
  /** How many frames have been built (each once, however many receivers), and subscription groups matched (each once per message, however many members). */
  stats(): { framesEncoded: number; groupsMatched: number }
  close(): void
}

/** What the hub's feeds received from the bus, per channel (read by /metrics). */
export type BusCounters = { received: Record<string, number>; filled: Record<string, number>; renumbered: Record<string, number> }

export function createBusCounters(): BusCounters {
  return { received: {}, filled: {}, renumbered: {} }
}

const bump = (record: Record<string, number>, key: string, by = 1) => void (record[key] = (record[key] ?? 0) + by)

export type HubOptions = {
  bus: Bus
  logger: Logger
  counters?: BusCounters
  /** Bus publish → hand-off delay of each message, in seconds. */
  observeDelay?(channel: Channel, seconds: number): void
  /** A channel's numbering broke (new epoch, or history lost): its subscribers must be re-synchronised. */
  onBroken(channel: Channel, reason: FeedBreak, epoch: string, seq: number): void
}

/**
 * Clients of one channel with the same params: matched against a message once, framed once, then a
 * queue append per member — so routing costs the number of distinct subscriptions, not of clients.
 */
type Group = { readonly id: string; readonly params: ChannelParams[Channel]; readonly keys: readonly string[]; readonly members: Set<Client> }

/**
 * One channel's subscribers: `all` select every item (they share the whole message's frame, with no
 * matching at all); the others are in groups of equal params, filed under their index keys.
 */
type Index = { byKey: Map<string, Set<Group>>; groups: Map<string, Group>; groupOf: Map<Client, Group>; all: Set<Client>; members: Set<Client> }

/** Puts a client in the group of its params (filing a new group under its keys). */
function join(index: Index, rule: ChannelRule<Channel>, client: Client, params: ChannelParams[Channel]): void {
  const id = JSON.stringify(params)
  let group = index.groups.get(id)
  if (!group) {
    group = { id, params, keys: [...new Set(rule.keysOf(params))], members: new Set() }
    index.groups.set(id, group)
    for (const key of group.keys) {
      let set = index.byKey.get(key)
      if (!set) index.byKey.set(key, (set = new Set()))
      set.add(group)
    }
  }
  group.members.add(client)
  index.groupOf.set(client, group)
}

/** Takes a client out of `all` or of its group (unfiling the group once empty). */
function leave(index: Index, client: Client): void {
  if (index.all.delete(client)) return
  const group = index.groupOf.get(client)
  if (!group) return
  index.groupOf.delete(client)
  group.members.delete(client)
  if (group.members.size > 0) return
  index.groups.delete(group.id)
  for (const key of group.keys) {
    const set = index.byKey.get(key)
    set?.delete(group)
    if (set?.size === 0) index.byKey.delete(key)
  }
}

/** Item positions each matching group gets, found through the index only. */
function match({ byKey }: Index, rule: ChannelRule<Channel>, items: readonly EncodedItem[]): Map<Group, number[]> {
  const picked = new Map<Group, number[]>()
  const visit = (key: string, i: number, item: EncodedItem) => {
    const set = byKey.get(key)
    if (!set) return
    for (const group of set) {
      const list = picked.get(group)
      if (list?.at(-1) === i) continue
      if (rule.accept && !rule.accept(group.params, item.route)) continue
      if (list) list.push(i)
      else picked.set(group, [i])
    }
  }
  items.forEach((item, i) => {
    visit(WILDCARD, i, item)
    for (const key of item.route.keys) visit(key, i, item)
  })
  return picked
}

/** Item positions one client's params select (a replay). */
function positionsFor(rule: ChannelRule<Channel>, params: ChannelParams[Channel], items: readonly EncodedItem[]): number[] {
  const keys = new Set(rule.keysOf(params))
  const positions: number[] = []
  items.forEach((item, i) => {
    if (!keys.has(WILDCARD) && !item.route.keys.some((k) => keys.has(k))) return
    if (!rule.accept || rule.accept(params, item.route)) positions.push(i)
  })
  return positions
}

export function createHub({ bus, logger, onBroken, counters: busCounters = createBusCounters(), observeDelay }: HubOptions): Hub {
  const indexes = new Map<Channel, Index>(channels.map((c) => [c, { byKey: new Map(), groups: new Map(), groupOf: new Map(), all: new Set(), members: new Set() }]))
  const feeds = new Map<Channel, ChannelFeed>()
  const counters = { framesEncoded: 0, groupsMatched: 0 }
  const encoded = () => void counters.framesEncoded++

  function openFeed(channel: Channel): ChannelFeed {
    let feed = feeds.get(channel)
    if (feed) return feed
    feed = createChannelFeed({
      bus,
      channel,
      logger,
      handlers: {
        deliver: route,
        broken(reason, epoch, seq) {
          bump(busCounters.renumbered, `${channel}:${reason}`)
          onBroken(channel, reason, epoch, seq)
        },
        filled: (n) => bump(busCounters.filled, channel, n),
      },
    })
    feeds.set(channel, feed)
    const opened = feed
    opened.ready.catch((err: unknown) => {
      logger.warn({ err, channel }, 'subscribing to the bus channel failed; the next subscriber retries')
      closeFeed(channel, opened)
    })
    return feed
  }

  function closeFeed(channel: Channel, feed = feeds.get(channel)): void {
    if (!feed || feeds.get(channel) !== feed) return
    feeds.delete(channel)
    feed.close()
  }

  function setParams(client: Client, channel: Channel, next: ChannelParams[Channel] | null): void {
    const rule = channelRules[channel] as ChannelRule<Channel>
    const index = indexes.get(channel)!
    leave(index, client)
    if (next) {
      if (rule.selectsAll(next)) index.all.add(client)
      else join(index, rule, client, next)
      client.subs.set(channel, next)
      index.members.add(client)
      openFeed(channel)
    } else {
      client.subs.delete(channel)
      index.members.delete(client)
      if (index.members.size === 0) closeFeed(channel)
    }
  }

  function reorgFrame(message: Extract<BusMessage, { kind: 'reorg' }>): Frame {
    const { channel, seq, fromBlock, toBlock, txHashes, ids } = message
    const reorg: ReorgMessage = { type: 'reorg', channel, seq, fromBlock, toBlock, txHashes: [...txHashes], ...(ids ? { ids: [...ids] } : {}) }
    const { wire, payload } = textFrame(JSON.stringify(reorg))
    return { seq, bytes: payload, wire }
  }

  function route(message: BusMessage): void {
    const { channel } = message
    bump(busCounters.received, channel)
    observeDelay?.(channel, Math.max(0, Date.now() - message.publishedAt) / 1000)
    if (message.kind === 'reorg') {
      const frame = reorgFrame(message)
      for (const client of indexes.get(channel)!.members) deliver(client, channel, frame)
      return
    }
    if (message.items.length === 0) return
    const index = indexes.get(channel)!
    const frames = createMessageFrames(message, encoded)
    // The fast path: every client that selects every item gets the same frame; per client, a queue append.
    if (index.all.size > 0) {
      const frame = frames.full()
      for (const client of index.all) deliver(client, channel, frame)
    }
    if (index.byKey.size > 0) {
      const picked = match(index, channelRules[channel] as ChannelRule<Channel>, message.items)
      counters.groupsMatched += picked.size
      for (const [group, positions] of picked) {
        const frame = frames.select(positions)
        for (const client of group.members) deliver(client, channel, frame)
      }
    }
    logger.trace({ channel, seq: message.seq }, 'routed bus message')
  }

  return {
    preview(client, message) {
      const rule = channelRules[message.channel] as ChannelRule<Channel>
      const current = client.subs.get(message.channel)
      return current ? rule.merge(current, message.params) : message.params
    },
    replace: setParams,
    ready: (channel) => feeds.get(channel)?.ready ?? Promise.resolve(),
    reached: (channel, seq) => feeds.get(channel)?.reached(seq) ?? Promise.resolve(),
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
      const params = client.subs.get(message.channel)
      if (!params || message.items.length === 0) return null
      const frames = createMessageFrames(message, encoded)
      if (indexes.get(message.channel)!.all.has(client)) return frames.full()
      const positions = positionsFor(channelRules[message.channel] as ChannelRule<Channel>, params, message.items)
      return positions.length === 0 ? null : frames.select(positions)
    },
    members: (channel) => indexes.get(channel)!.members,
    subscriberCount: (channel) => indexes.get(channel)!.members.size,
    stats: () => ({ ...counters }),
    close() {
      for (const channel of [...feeds.keys()]) closeFeed(channel)
    },
  }
}
