import { pino } from 'pino'
import { afterAll, describe, expect, it } from 'vitest'
import type { Bus, BusListener, BusMessage } from '../../src/bus/bus.js'
import { createMemoryBus } from '../../src/bus/memoryBus.js'
import { dataPublication, encodeItems, reorgPublication } from '../../src/bus/publication.js'
import { createRedisBus } from '../../src/bus/redisBus.js'
import { createChannelFeed, type FeedBreak } from '../../src/gateway/channelFeed.js'
import { createRedisLedger } from '../../src/ledger/redisLedger.js'
import { createRedisConnection, type RedisConnection } from '../../src/redis/connection.js'
import { createMemoryStateStore } from '../../src/state/memoryStateStore.js'
import { alert, trade } from '../support/fixtures.js'
import { uniquePrefix } from '../support/redisServer.js'
import { waitFor } from '../support/waitFor.js'

const logger = pino({ level: 'silent' })
const A = '0xABaBaBaBABabABabAbAbABAbABabababaBaBABaB'
const B = '0x1212121212121212121212121212121212121212'

/** One bus numbering as two processes see it (memory: the same object; Redis: two connections). */
type Kit = { bus: Bus; peer: Bus }
type Backend = { name: string; open(historySize: number): Promise<Kit>; epochIsShared: boolean }

const connections: RedisConnection[] = []
afterAll(async () => {
  await Promise.all(connections.map((c) => c.close()))
})

const memory: Backend = {
  name: 'memory',
  epochIsShared: false,
  async open(historySize) {
    const bus = createMemoryBus({ historySize })
    return { bus, peer: bus }
  },
}

const redis: Backend = {
  name: 'redis',
  epochIsShared: true,
  async open(historySize) {
    const prefix = uniquePrefix('bus')
    const [a, b] = ['a', 'b'].map((name) => createRedisConnection({ url: 'redis://127.0.0.1:6379', prefix, logger, name: `conformance-${name}` }))
    connections.push(a!, b!)
    await Promise.all([a!.ready(), b!.ready()])
    // The indexer's ledger starts a bus's numbering (its epoch, with the read model that goes with it).
    const limits = { historySize, ttlSec: 3600, recentLimit: 10, tradesPerToken: 10 }
    await createRedisLedger({ redis: a!, limits, mirror: createMemoryStateStore({ recentLimit: 10, seqOf: () => 0 }), logger }).start({ create: true })
    return { bus: createRedisBus({ redis: a!, historySize, logger }), peer: createRedisBus({ redis: b!, historySize, logger }) }
  },
}

const trades = (...tokens: string[]) => dataPublication(encodeItems('trades', tokens.map((t) => trade(t))))

/** Collects a channel's messages in arrival order. */
function collect(bus: Bus, channel: 'trades' | 'alerts') {
  const got: BusMessage[] = []
  const sub = bus.subscribe(channel, { message: (m) => got.push(m) })
  return { got, sub }
}

/** A bus whose deliveries of the given seqs are lost on the way (as Pub/Sub loses them while disconnected). */
function lossy(bus: Bus, lost: Set<number>): Bus {
  return {
    ...bus,
    subscribe: (channel, listener: BusListener) => bus.subscribe(channel, { ...listener, message: (m) => (lost.has(m.seq) ? undefined : listener.message(m)) }),
  }
}

describe.each([memory, redis])('the $name bus', (backend) => {
  it('numbers messages 1, 2, 3… per channel, independently', async () => {
    const { bus } = await backend.open(100)
    expect([await bus.publish('trades', trades(A)), await bus.publish('trades', trades(B)), await bus.publish('alerts', dataPublication(encodeItems('alerts', [alert('whale', A)])))]).toEqual([1, 2, 1])
    expect(await bus.lastSeq('trades')).toBe(2)
    expect(await bus.lastSeq('prices')).toBe(0)
  })

  it('delivers to every subscriber, in order, the same seq and the same bytes, never inside publish', async () => {
    const { bus, peer } = await backend.open(100)
    const here = collect(bus, 'trades')
    const there = collect(peer, 'trades')
    await Promise.all([here.sub.ready, there.sub.ready])
    const published = [trades(A, B), trades(B), reorgPublication(5, 6, ['0xaa'])]
    for (const p of published) {
      const before = here.got.length
      const seq = bus.publish('trades', p)
      expect(here.got.length).toBe(before)
      await seq
    }
    await waitFor(() => here.got.length === 3 && there.got.length === 3)
    expect(here.got.map((m) => m.seq)).toEqual([1, 2, 3])
    expect(there.got).toEqual(here.got)
    expect(here.got[0]).toMatchObject({ kind: 'data', channel: 'trades', seq: 1, items: published[0]!.kind === 'data' ? published[0]!.items : [] })
    expect(here.got[2]).toMatchObject({ kind: 'reorg', channel: 'trades', seq: 3, fromBlock: 5, toBlock: 6, txHashes: ['0xaa'] })
    expect(Object.isFrozen(here.got[0])).toBe(true)
    here.sub.close()
    there.sub.close()
  })

  it('replays history after a seq: complete, incomplete when trimmed, incomplete when ahead of the bus', async () => {
    const { bus, peer } = await backend.open(3)
    for (let i = 0; i < 5; i++) await bus.publish('trades', trades(A))
    const seqs = (h: { messages: BusMessage[] }) => h.messages.map((m) => m.seq)
    expect(await peer.history('trades', 2)).toMatchObject({ complete: true, lastSeq: 5 })
    expect(seqs(await peer.history('trades', 2))).toEqual([3, 4, 5])
    expect(await peer.history('trades', 5)).toEqual({ complete: true, messages: [], lastSeq: 5 })
    const trimmed = await peer.history('trades', 1)
    expect([trimmed.complete, seqs(trimmed)]).toEqual([false, [3, 4, 5]])
    expect(await peer.history('trades', 9)).toEqual({ complete: false, messages: [], lastSeq: 5 })
    expect(await peer.history('alerts', 0)).toEqual({ complete: true, messages: [], lastSeq: 0 })
    expect((await peer.history('trades', 3)).messages[0]).toEqual((await bus.history('trades', 3)).messages[0])
  })

  it('keeps one epoch for its numbering; another process on the same bus sees the same one', async () => {
    const { bus, peer } = await backend.open(10)
    const epoch = await bus.epoch()
    expect(epoch).toMatch(/^[0-9a-f-]{36}$/)
    expect(await bus.epoch()).toBe(epoch)
    expect(await peer.epoch()).toBe(epoch)
    expect(bus.status()).toEqual({ kind: backend.name, connected: true, epoch })
    const other = await backend.open(10)
    expect(await other.bus.epoch()).not.toBe(epoch)
  })

  it('stops delivering to a closed subscription, and its other subscribers carry on', async () => {
    const { bus } = await backend.open(10)
    const a = collect(bus, 'trades')
    const b = collect(bus, 'trades')
    await Promise.all([a.sub.ready, b.sub.ready])
    await bus.publish('trades', trades(A))
    await waitFor(() => a.got.length === 1 && b.got.length === 1)
    a.sub.close()
    await bus.publish('trades', trades(A))
    await waitFor(() => b.got.length === 2)
    expect(a.got.map((m) => m.seq)).toEqual([1])
    b.sub.close()
  })

  describe('as a gateway feed', () => {
    it('fills a gap from history before delivering newer messages: every seq once, in order', async () => {
      const { bus, peer } = await backend.open(100)
      const delivered: number[] = []
      const breaks: FeedBreak[] = []
      const feed = createChannelFeed({ bus: lossy(peer, new Set([2, 3, 5])), channel: 'trades', logger, handlers: { deliver: (m) => delivered.push(m.seq), broken: (r) => breaks.push(r) } })
      await feed.ready
      for (let i = 0; i < 6; i++) await bus.publish('trades', trades(A))
      await waitFor(() => feed.position() === 6)
      expect(delivered).toEqual([1, 2, 3, 4, 5, 6])
      expect(breaks).toEqual([])
      feed.close()
    })

    it('reports a break when history no longer reaches back to a gap, then continues after it', async () => {
      const { bus, peer } = await backend.open(2)
      const delivered: number[] = []
      const breaks: [FeedBreak, number][] = []
      const feed = createChannelFeed({ bus: lossy(peer, new Set([1, 2, 3])), channel: 'trades', logger, handlers: { deliver: (m) => delivered.push(m.seq), broken: (r, _e, seq) => breaks.push([r, seq]) } })
      await feed.ready
      for (let i = 0; i < 4; i++) await bus.publish('trades', trades(A))
      await waitFor(() => feed.position() === 4)
      expect(breaks).toEqual([['lost', 4]])
      await bus.publish('trades', trades(A))
      await waitFor(() => feed.position() === 5)
      expect(delivered).toEqual([5])
      feed.close()
    })

    it('resolves reached(seq) once that seq was delivered', async () => {
      const { bus, peer } = await backend.open(10)
      const feed = createChannelFeed({ bus: peer, channel: 'alerts', logger, handlers: { deliver: () => {}, broken: () => {} } })
      await feed.ready
      let done = false
      const reached = feed.reached(2).then(() => (done = true))
      await bus.publish('alerts', dataPublication(encodeItems('alerts', [alert('price', A)])))
      await feed.reached(1)
      expect(done).toBe(false)
      await bus.publish('alerts', dataPublication(encodeItems('alerts', [alert('price', B)])))
      await reached
      expect(feed.position()).toBe(2)
      feed.close()
    })
  })
})
