import { once } from 'node:events'
import { createConnection, createServer, type AddressInfo, type Socket } from 'node:net'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Bus } from '../../src/bus/bus.js'
import { createMemoryBus } from '../../src/bus/memoryBus.js'
import { dataPublication, encodeItems, reorgPublication } from '../../src/bus/publication.js'
import { createRedisBus } from '../../src/bus/redisBus.js'
import type { BlockCommit, Ledger } from '../../src/ledger/ledger.js'
import { createMemoryLedger } from '../../src/ledger/memoryLedger.js'
import { createRedisLedger } from '../../src/ledger/redisLedger.js'
import type { Bucket } from '../../src/market/tokenMarket.js'
import type { PriceItem, TokenItem, TradeItem } from '../../src/protocol/items.js'
import { commitToRedis, type RedisLimits } from '../../src/redis/commit.js'
import { createRedisConnection, type RedisConnection } from '../../src/redis/connection.js'
import { createMemoryStateStore } from '../../src/state/memoryStateStore.js'
import { createRedisStateStore } from '../../src/state/redisStateStore.js'
import { emptyDelta, type StateDelta, type StateStore } from '../../src/state/stateStore.js'
import { price, token, trade } from '../support/fixtures.js'
import { startTestRedis, uniquePrefix, type TestRedis } from '../support/redisServer.js'
import { waitFor } from '../support/waitFor.js'

const logger = pino({ level: 'silent' })
const A = '0xABaBaBaBABabABabAbAbABAbABabababaBaBABaB'
const B = '0x1212121212121212121212121212121212121212'
const C = '0x3434343434343434343434343434343434343434'
const D = '0x5656565656565656565656565656565656565656'
const UNKNOWN = '0x7878787878787878787878787878787878787878'

/** Small bounds, so the tests see them at work. */
const limits: RedisLimits = { historySize: 100, ttlSec: 3600, recentLimit: 3, tradesPerToken: 3 }

/** The indexer's side (a ledger) and a gateway's side (the state store and the bus) of one read model. */
type Kit = { ledger: Ledger; state: StateStore; bus: Bus }
type Backend = { name: string; open(): Promise<Kit> }

const connections: RedisConnection[] = []
const ledgers: Ledger[] = []
afterAll(async () => {
  await Promise.all(ledgers.map((l) => l.close()))
  await Promise.all(connections.map((c) => c.close()))
})

const memory: Backend = {
  name: 'memory',
  async open() {
    const bus = createMemoryBus({ historySize: limits.historySize })
    const state = createMemoryStateStore({ recentLimit: limits.recentLimit, tradesPerToken: limits.tradesPerToken, seqOf: bus.seqOf })
    const ledger = createMemoryLedger(bus, state)
    await ledger.start({ create: true })
    return { ledger, state, bus }
  },
}

/** A Redis ledger (the indexer's connection) and a gateway's state store and bus (a connection of their own). */
async function openRedis(url: string, prefix: string): Promise<Kit & { writer: RedisConnection; reader: RedisConnection }> {
  const writer = createRedisConnection({ url, prefix, logger, name: 'read-model-indexer' })
  const reader = createRedisConnection({ url, prefix, logger, name: 'read-model-gateway' })
  connections.push(writer, reader)
  await Promise.all([writer.ready(), reader.ready()])
  const mirror = createMemoryStateStore({ recentLimit: limits.recentLimit, tradesPerToken: limits.tradesPerToken, seqOf: () => 0 })
  const ledger = createRedisLedger({ redis: writer, limits, mirror, logger })
  ledgers.push(ledger)
  await ledger.start({ create: true }) // a fresh bus: the epoch and the (empty) read model, created together
  return { ledger, state: createRedisStateStore(reader), bus: createRedisBus({ redis: reader, historySize: limits.historySize, logger }), writer, reader }
}

const redis: Backend = { name: 'redis', open: () => openRedis('redis://127.0.0.1:6379', uniquePrefix('read-model')) }

/** One block as the indexer commits it: each item's JSON text serves the publication and the read model. */
function block(items: { prices?: PriceItem[]; tokens?: TokenItem[]; trades?: TradeItem[]; buckets?: { token: string; bucket: Bucket }[] }, delta: Partial<StateDelta> = {}): BlockCommit {
  const publications: BlockCommit['publications'] = []
  const texts = { ...emptyDelta(), ...delta }
  if (items.tokens?.length) {
    const encoded = encodeItems('tokens', items.tokens)
    publications.push({ channel: 'tokens', publication: dataPublication(encoded) })
    texts.launches = [...texts.launches, ...encoded.map((e, i) => ({ token: items.tokens![i]!.address, json: e.json }))]
  }
  if (items.trades?.length) {
    const encoded = encodeItems('trades', items.trades)
    publications.push({ channel: 'trades', publication: dataPublication(encoded) })
    texts.trades = [...texts.trades, ...encoded.map((e, i) => ({ token: items.trades![i]!.tokenAddress, json: e.json }))]
  }
  if (items.prices?.length) {
    const encoded = encodeItems('prices', items.prices)
    publications.push({ channel: 'prices', publication: dataPublication(encoded) })
    texts.prices = [...texts.prices, ...encoded.map((e, i) => ({ token: items.prices![i]!.tokenAddress, json: e.json }))]
  }
  for (const { token: t, bucket: b } of items.buckets ?? []) texts.buckets.push({ token: t, minute: b.minute, json: JSON.stringify(b) })
  return { publications, delta: texts }
}

function bucket(minute: number, close: number, overrides: Partial<Bucket> = {}): Bucket {
  return { minute, open: close, high: close, low: close, close, coreUsd: 2, volumeCore: 1, volumeUsd: 2, buys: 1, sells: 0, ...overrides }
}

const parsed = <T>(texts: readonly string[]) => texts.map((t) => JSON.parse(t) as T)
const addresses = (texts: readonly string[]) => parsed<{ address: string }>(texts).map((t) => t.address)
const hashes = (texts: readonly string[]) => parsed<{ txHash: string }>(texts).map((t) => t.txHash)
const priceTokens = (texts: readonly string[]) => parsed<PriceItem>(texts).map((p) => p.tokenAddress).sort()

describe.each([memory, redis])('the $name ledger and read model', (backend) => {
  it('serves a committed block: its prices, launch, trades and candles', async () => {
    const { ledger, state } = await backend.open()
    const launch = token(A, 100)
    const buy = trade(A, { blockNumber: 100 })
    const minute = 28_333_333
    await ledger.commit(block({ tokens: [launch], trades: [buy], prices: [price(A, 0.5)], buckets: [{ token: A, bucket: bucket(minute, 0.5, { open: 0.4, high: 0.6, low: 0.3 }) }] }))
    expect(parsed(await state.prices([A]).then((s) => s.items))).toEqual([price(A, 0.5)])
    expect(parsed((await state.recentTokens(10)).items)).toEqual([launch])
    expect(JSON.parse((await state.launch(A))!)).toEqual(launch)
    expect(parsed(await state.trades(A, 10))).toEqual([buy])
    expect(await state.candles(A, '1m')).toEqual([{ time: minute * 60, open: 0.8, high: 1.2, low: 0.6, close: 1, volume: 2, volumeCore: 1, trades: 1 }])
    expect([await state.launch(B), await state.trades(B, 10), await state.candles(B, '1m')]).toEqual([null, [], null])
  })

  it('reports with each snapshot exactly the seq of the publication committed with its state', async () => {
    const { ledger, state, bus } = await backend.open()
    expect(await state.prices('*')).toEqual({ seq: 0, items: [] })
    expect(await state.recentTokens(10)).toEqual({ seq: 0, items: [] })
    await ledger.commit(block({ prices: [price(A, 1)], tokens: [token(A)] }))
    await ledger.commit(block({ trades: [trade(A)] }))
    await ledger.commit(block({ prices: [price(A, 2), price(B, 3)] }))
    const prices = await state.prices('*')
    expect(prices.seq).toBe(await bus.lastSeq('prices'))
    expect(prices.seq).toBe(2)
    expect(parsed<PriceItem>(prices.items).sort((x, y) => x.price! - y.price!)).toEqual([price(A, 2), price(B, 3)])
    const recent = await state.recentTokens(10)
    expect(recent.seq).toBe(await bus.lastSeq('tokens'))
    expect(recent.seq).toBe(1)
    // A block without a prices publication leaves the prices snapshot (and its seq) as it was.
    await ledger.commit(block({ tokens: [token(C)] }))
    expect(await state.prices('*')).toEqual(prices)
    expect((await state.recentTokens(10)).seq).toBe(2)
    // The history holds the very publication the snapshot's seq names.
    const history = await bus.history('prices', 1)
    expect(history.messages.map((m) => m.seq)).toEqual([2])
    const published = history.messages[0]!
    expect(published.kind === 'data' && published.items.map((i) => i.json).sort()).toEqual([...prices.items].sort())
  })

  it("serves '*' as every known token, and a list as the listed tokens it knows (unknown ones skipped)", async () => {
    const { ledger, state } = await backend.open()
    await ledger.commit(block({ prices: [price(A, 1), price(B, 2), price(C, 3)] }))
    expect(priceTokens((await state.prices('*')).items)).toEqual([A, B, C].sort())
    expect(priceTokens((await state.prices([C, UNKNOWN, A])).items)).toEqual([A, C].sort())
    expect((await state.prices([UNKNOWN])).items).toEqual([])
    expect((await state.prices([UNKNOWN])).seq).toBe(1)
  })

  it('lists recent launches newest first, at most the limit kept and asked for', async () => {
    const { ledger, state } = await backend.open()
    await ledger.commit(block({ tokens: [token(A, 1), token(B, 1)] }))
    await ledger.commit(block({ tokens: [token(C, 2)] }))
    expect(addresses((await state.recentTokens(10)).items)).toEqual([C, B, A])
    await ledger.commit(block({ tokens: [token(D, 3)] }))
    expect(addresses((await state.recentTokens(10)).items)).toEqual([D, C, B])
    expect(addresses((await state.recentTokens(2)).items)).toEqual([D, C])
    expect(await state.recentTokens(0)).toEqual({ seq: 3, items: [] })
  })

  it('keeps the newest trades per token, newest first, bounded per token', async () => {
    const { ledger, state } = await backend.open()
    const ofA = [1, 2, 3, 4].map((n) => trade(A, { blockNumber: n }))
    const ofB = trade(B, { blockNumber: 2 })
    await ledger.commit(block({ trades: [ofA[0]!] }))
    await ledger.commit(block({ trades: [ofA[1]!, ofB] }))
    await ledger.commit(block({ trades: [ofA[2]!, ofA[3]!] }))
    expect(hashes(await state.trades(A, 10))).toEqual([ofA[3]!, ofA[2]!, ofA[1]!].map((t) => t.txHash))
    expect(hashes(await state.trades(A, 2))).toEqual([ofA[3]!, ofA[2]!].map((t) => t.txHash))
    expect(hashes(await state.trades(B, 10))).toEqual([ofB.txHash])
  })

  it('makes candles from minute buckets (a rewritten bucket replaces the old one); a removed bucket is gone', async () => {
    const { ledger, state } = await backend.open()
    const m = 28_333_335 // a multiple of 5 minutes: 5m candles start here
    await ledger.commit(block({ buckets: [{ token: A, bucket: bucket(m, 1) }, { token: A, bucket: bucket(m + 1, 2) }] }))
    await ledger.commit(block({ buckets: [{ token: A, bucket: bucket(m + 1, 3, { open: 2, low: 2, buys: 2 }) }, { token: A, bucket: bucket(m + 5, 4) }] }))
    expect(await state.candles(A, '1m')).toEqual([
      { time: m * 60, open: 2, high: 2, low: 2, close: 2, volume: 2, volumeCore: 1, trades: 1 },
      { time: (m + 1) * 60, open: 4, high: 6, low: 4, close: 6, volume: 2, volumeCore: 1, trades: 2 },
      { time: (m + 5) * 60, open: 8, high: 8, low: 8, close: 8, volume: 2, volumeCore: 1, trades: 1 },
    ])
    expect(await state.candles(A, '5m')).toEqual([
      { time: m * 60, open: 2, high: 6, low: 2, close: 6, volume: 4, volumeCore: 2, trades: 3 },
      { time: (m + 5) * 60, open: 8, high: 8, low: 8, close: 8, volume: 2, volumeCore: 1, trades: 1 },
    ])
    await ledger.commit(block({}, { unbuckets: [{ token: A, minute: m }] }))
    expect((await state.candles(A, '1m'))!.map((c) => c.time)).toEqual([(m + 1) * 60, (m + 5) * 60])
  })

  it('serves replayed (rebuilt) blocks once the next block is committed, without publishing them', async () => {
    const { ledger, state, bus } = await backend.open()
    const replayed = token(A, 1)
    const oldTrade = trade(A, { blockNumber: 1 })
    ledger.rebuild({ ...emptyDelta(), launches: [{ token: A, json: JSON.stringify(replayed) }], trades: [{ token: A, json: JSON.stringify(oldTrade) }], prices: [{ token: A, json: JSON.stringify(price(A, 1)) }] })
    const live = trade(B, { blockNumber: 2 })
    await ledger.commit(block({ trades: [live], prices: [price(B, 2)] }))
    expect(addresses((await state.recentTokens(10)).items)).toEqual([A])
    expect(hashes(await state.trades(A, 10))).toEqual([oldTrade.txHash])
    expect(hashes(await state.trades(B, 10))).toEqual([live.txHash])
    expect(priceTokens((await state.prices('*')).items)).toEqual([A, B].sort())
    expect([await bus.lastSeq('tokens'), await bus.lastSeq('trades'), await bus.lastSeq('prices')]).toEqual([0, 1, 1])
  })

  it('takes back exactly the launches and trades a reorg retracts', async () => {
    const { ledger, state, bus } = await backend.open()
    const [kept, orphan] = [token(A, 10), token(B, 11)]
    const keptTrades = [trade(A, { blockNumber: 10 }), trade(A, { blockNumber: 11 })]
    const orphanTrade = trade(A, { blockNumber: 11 })
    const orphanOfB = trade(B, { blockNumber: 11 })
    await ledger.commit(block({ tokens: [kept], trades: [keptTrades[0]!], prices: [price(A, 1)] }))
    const second = block({ tokens: [orphan], trades: [keptTrades[1]!, orphanTrade, orphanOfB], prices: [price(B, 2)] })
    await ledger.commit(second)
    const text = (list: { token: string; json: string }[], item: { txHash: string }) => list.filter((t) => t.json.includes(item.txHash))
    const retracted = [orphanTrade, orphanOfB].map((t) => t.txHash)
    await ledger.commit({
      publications: [{ channel: 'trades', publication: reorgPublication(11, 11, retracted) }, { channel: 'tokens', publication: reorgPublication(11, 11, [orphan.txHash]) }],
      delta: { ...emptyDelta(), unlaunches: text(second.delta.launches, orphan), untrades: [...text(second.delta.trades, orphanTrade), ...text(second.delta.trades, orphanOfB)] },
    })
    expect(addresses((await state.recentTokens(10)).items)).toEqual([A])
    expect(await state.launch(B)).toBeNull()
    expect(priceTokens((await state.prices('*')).items)).toEqual([A])
    expect(hashes(await state.trades(A, 10))).toEqual([keptTrades[1]!.txHash, keptTrades[0]!.txHash])
    expect(await state.trades(B, 10)).toEqual([])
    expect(JSON.parse((await state.launch(A))!)).toEqual(kept)
    expect((await bus.history('trades', 2)).messages).toMatchObject([{ kind: 'reorg', seq: 3, fromBlock: 11, toBlock: 11, txHashes: retracted }])
  })
})

describe('the redis ledger', () => {
  it('applies a resent commit (same commit number) once: the second is a duplicate', async () => {
    const { writer, state, bus } = await openRedis('redis://127.0.0.1:6379', uniquePrefix('read-model-dup'))
    const epoch = await bus.epoch()
    const buy = trade(A)
    const commit = { ...block({ trades: [buy], tokens: [token(A)] }), epoch, commit: 1, publishedAt: Date.now() }
    expect(await commitToRedis(writer.command, writer.keys, limits, commit)).toEqual([1, 1])
    expect(await commitToRedis(writer.command, writer.keys, limits, commit)).toBe('duplicate')
    expect([await bus.lastSeq('trades'), await bus.lastSeq('tokens')]).toEqual([1, 1])
    expect((await bus.history('trades', 0)).messages.map((m) => m.seq)).toEqual([1])
    expect(hashes(await state.trades(A, 10))).toEqual([buy.txHash])
    expect((await state.recentTokens(10)).items).toHaveLength(1)
    // An older number is a duplicate too; a number ahead of the next one is refused.
    expect(await commitToRedis(writer.command, writer.keys, limits, { ...commit, commit: 0 })).toBe('duplicate')
    await expect(commitToRedis(writer.command, writer.keys, limits, { ...commit, commit: 3 })).rejects.toThrow(/expected commit 2/)
    expect(await bus.lastSeq('trades')).toBe(1)
  })

  describe('on a Redis of its own', () => {
    let server: TestRedis
    beforeAll(async () => {
      server = await startTestRedis()
    })
    afterAll(async () => {
      await server?.stop()
    })

    it('re-seeds the read model from its mirror when Redis lost its data, and publishes under a new epoch from seq 1', async () => {
      const { ledger, state, bus } = await openRedis(server.url, uniquePrefix('reseed'))
      const [first, second] = [token(A, 1), token(B, 2)]
      const earlyTrade = trade(A, { blockNumber: 2 })
      await ledger.commit(block({ tokens: [first], prices: [price(A, 1)], buckets: [{ token: A, bucket: bucket(28_333_333, 1) }] }))
      await ledger.commit(block({ tokens: [second], trades: [earlyTrade], prices: [price(B, 2)] }))
      const before = await bus.epoch()
      expect(await bus.lastSeq('prices')).toBe(2)

      await server.client().flushall()
      // Until the indexer has re-seeded it, the emptied read model answers `unavailable` (never an empty state).
      await expect(state.prices('*')).rejects.toMatchObject({ code: 'unavailable' })
      await expect(state.recentTokens(10)).rejects.toMatchObject({ code: 'unavailable' })

      const late = trade(B, { blockNumber: 3 })
      await ledger.commit(block({ trades: [late], prices: [price(B, 3)] }))
      const after = await bus.epoch()
      expect(after).not.toBe(before)
      expect(await bus.lastSeq('prices')).toBe(1)
      expect(await bus.lastSeq('trades')).toBe(1)
      expect(await bus.lastSeq('tokens')).toBe(0)
      expect((await bus.history('trades', 0)).messages.map((m) => m.seq)).toEqual([1])
      // The earlier blocks' state is back, with the new block applied over it.
      const prices = await state.prices('*')
      expect(prices.seq).toBe(1)
      expect(parsed<PriceItem>(prices.items).sort((x, y) => x.price! - y.price!)).toEqual([price(A, 1), price(B, 3)])
      expect(addresses((await state.recentTokens(10)).items)).toEqual([B, A])
      expect(JSON.parse((await state.launch(A))!)).toEqual(first)
      expect(hashes(await state.trades(A, 10))).toEqual([earlyTrade.txHash])
      expect(hashes(await state.trades(B, 10))).toEqual([late.txHash])
      expect((await state.candles(A, '1m'))!.map((c) => c.close)).toEqual([2])
    })

    it('recognises a commit resent after its reply was lost: applied and published once', async () => {
      const proxy = await startReplyDroppingProxy(server.port)
      try {
        const prefix = uniquePrefix('lost-reply')
        const { ledger } = await openRedis(`redis://127.0.0.1:${proxy.port}`, prefix)
        const { state, bus } = await openRedis(server.url, prefix) // a gateway's view, not through the proxy
        await ledger.commit(block({ trades: [trade(A)] }))
        const admin = server.client()

        proxy.dropReplies(true)
        const resent = trade(A, { blockNumber: 2 })
        const commit = ledger.commit(block({ trades: [resent] }))
        await waitFor(async () => (await admin.get(`${prefix}seq:trades`)) === '2', { message: 'Redis applied the commit whose reply is lost' })
        proxy.dropReplies(false)
        proxy.cutAll() // the pending command fails; the ledger reconnects and resends it
        await commit

        expect(await bus.lastSeq('trades')).toBe(2)
        expect((await bus.history('trades', 0)).messages.map((m) => m.seq)).toEqual([1, 2])
        expect(hashes(await state.trades(A, 10)).filter((h) => h === resent.txHash)).toHaveLength(1)
        await ledger.commit(block({ trades: [trade(A, { blockNumber: 3 })] }))
        expect(await bus.lastSeq('trades')).toBe(3)
        expect(await admin.get(`${prefix}commit`)).toBe('3')
      } finally {
        await proxy.close()
      }
    })

    it('holds a commit while Redis is down and completes it, once, when Redis is back', async () => {
      const { ledger, state, bus, writer, reader } = await openRedis(server.url, uniquePrefix('outage'))
      await ledger.commit(block({ tokens: [token(A, 1)], prices: [price(A, 1)] }))
      const before = await bus.epoch()

      await server.kill()
      await waitForDisconnect(writer)
      const held = trade(A, { blockNumber: 2 })
      let settled = false
      const commit = ledger.commit(block({ trades: [held], prices: [price(A, 2)] })).finally(() => (settled = true))
      await new Promise((resolve) => setTimeout(resolve, 0))
      expect(settled).toBe(false) // it waits for Redis (once Redis is back it may complete at any moment)
      await server.start()
      await commit // nothing failed
      await reader.ready() // the gateway's side reconnects on its own schedule

      expect(await bus.epoch()).not.toBe(before) // Redis came back empty: a new numbering
      expect(await bus.lastSeq('trades')).toBe(1)
      expect((await bus.history('trades', 0)).messages.map((m) => m.seq)).toEqual([1])
      expect(hashes(await state.trades(A, 10))).toEqual([held.txHash])
      expect(addresses((await state.recentTokens(10)).items)).toEqual([A])
      expect(await state.prices([A])).toEqual({ seq: 1, items: [JSON.stringify(price(A, 2))] })
    })
  })
})

/** Resolves once the connection noticed that Redis went away. */
async function waitForDisconnect(redis: RedisConnection): Promise<void> {
  if (!redis.connected()) return
  await new Promise((resolve) => redis.command.once('close', resolve))
}

/** A TCP proxy to Redis that can swallow Redis's replies (requests still arrive): a reply lost on the way. */
async function startReplyDroppingProxy(targetPort: number) {
  let dropping = false
  const sockets = new Set<Socket>()
  const server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort })
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.on('error', () => {})
      s.on('close', () => (sockets.delete(s), client.destroy(), upstream.destroy()))
    }
    client.on('data', (d: Buffer) => upstream.write(d))
    upstream.on('data', (d: Buffer) => dropping || client.write(d))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return {
    port: (server.address() as AddressInfo).port,
    dropReplies: (on: boolean) => void (dropping = on),
    cutAll: () => sockets.forEach((s) => s.destroy()),
    close: () => {
      sockets.forEach((s) => s.destroy())
      return new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
