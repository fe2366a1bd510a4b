import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dataPublication, encodeItems } from '../../src/bus/publication.js'
import type { Ledger } from '../../src/ledger/ledger.js'
import { createRedisLedger } from '../../src/ledger/redisLedger.js'
import type { PriceItem, TradeItem } from '../../src/protocol/items.js'
import { createRedisConnection, type RedisConnection } from '../../src/redis/connection.js'
import { createMemoryStateStore } from '../../src/state/memoryStateStore.js'
import { emptyDelta, type StateDelta } from '../../src/state/stateStore.js'
import { price, trade } from '../support/fixtures.js'
import { startTestRedis, type TestRedis } from '../support/redisServer.js'
import { startTestServer, type TestServer } from '../support/server.js'
import { waitFor } from '../support/waitFor.js'
import { connect, type Received, type TestClient } from '../support/wsClient.js'

/**
 * Redis loses its data while every connection stays up (FLUSHALL, or an eviction of the keys): no
 * reconnect tells the gateway. The indexer notices on its next commit (the epoch is gone), re-seeds
 * the read model and publishes under a new epoch from seq 1; the gateway must notice the renumbering
 * from the messages themselves and re-synchronise its clients, without losing or repeating any.
 */

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' })
const A = '0xABaBaBaBABabABabAbAbABAbABabababaBaBABaB'
const PREFIX = 'cmws:'

let redis: TestRedis
let connection: RedisConnection
let ledger: Ledger
let server: TestServer
const clients: TestClient[] = []

beforeAll(async () => {
  redis = await startTestRedis()
  connection = createRedisConnection({ url: redis.url, prefix: PREFIX, logger, name: 'test-indexer' })
  await connection.ready()
  const mirror = createMemoryStateStore({ recentLimit: 50, seqOf: () => 0 })
  ledger = createRedisLedger({ redis: connection, limits: { historySize: 1000, ttlSec: 3600, recentLimit: 50, tradesPerToken: 200 }, mirror, logger })
  await ledger.start({ create: true })
  server = await startTestServer({ ROLE: 'gateway', REDIS_URL: redis.url, REDIS_PREFIX: PREFIX })
})
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()))
  await server?.stop()
  await ledger?.close()
  await connection?.close()
  await redis?.stop()
})

/** One block: a trade of A and A's new price, committed as the indexer does. */
async function block(value: number): Promise<TradeItem> {
  const t = trade(A)
  const trades = encodeItems('trades', [t])
  const prices = encodeItems('prices', [price(A, value)])
  const delta: StateDelta = { ...emptyDelta(), trades: [{ token: A, json: trades[0]!.json }], prices: [{ token: A, json: prices[0]!.json }] }
  await ledger.commit({ publications: [{ channel: 'trades', publication: dataPublication(trades) }, { channel: 'prices', publication: dataPublication(prices) }], delta })
  return t
}

async function follow(channel: string, params: unknown): Promise<Received[]> {
  const c = await connect(server.url)
  clients.push(c)
  const log: Received[] = []
  c.ws.on('message', (data) => log.push(JSON.parse(data.toString()) as Received))
  c.send({ type: 'subscribe', channel, params })
  await c.next((m) => m.type === 'subscribed')
  return log
}

const tradesIn = (log: Received[]) => log.filter((m) => m.type === 'data').flatMap((m) => (m['data'] as { trades: TradeItem[] }).trades.map((t) => t.txHash))

describe('Redis loses its data under a connected gateway (FLUSHALL)', () => {
  it('re-synchronises the clients under the new epoch and delivers every trade once', async () => {
    const trades = await follow('trades', { tokens: ['*'] })
    const prices = await follow('prices', { tokens: [A] })
    const firstEpoch = server.app.bus.status().epoch
    const published: TradeItem[] = []
    for (let i = 1; i <= 5; i++) published.push(await block(i))
    await waitFor(() => tradesIn(trades).length === 5, { message: 'the first trades' })

    await redis.client().flushall()
    for (let i = 6; i <= 8; i++) published.push(await block(i))

    const wanted = published.map((t) => t.txHash)
    await waitFor(() => tradesIn(trades).length >= wanted.length, { message: `all ${wanted.length} trades; got ${JSON.stringify(trades).slice(0, 1500)}` })
    expect(tradesIn(trades)).toEqual(wanted)
    const resync = trades.filter((m) => m.type === 'subscribed' && m['resumed'] === false)
    expect(resync).toHaveLength(1)
    const newEpoch = resync[0]!['epoch']
    expect(newEpoch).not.toBe(firstEpoch)
    expect(resync[0]).toMatchObject({ channel: 'trades', seq: 0 })
    expect(trades.slice(trades.indexOf(resync[0]!) + 1).map((m) => m.seq)).toEqual([1, 2, 3])

    // The prices subscriber gets the re-seeded snapshot (as of the new epoch's seq), then only newer updates.
    await waitFor(() => prices.some((m) => m.type === 'subscribed' && m['resumed'] === false))
    const pricesResync = prices.find((m) => m.type === 'subscribed' && m['resumed'] === false)!
    expect(pricesResync).toMatchObject({ channel: 'prices', epoch: newEpoch })
    const snapshot = prices[prices.indexOf(pricesResync) + 1]!
    expect(snapshot).toMatchObject({ type: 'data', snapshot: true, seq: pricesResync.seq })
    await waitFor(() => (prices.at(-1)!['data'] as { prices: PriceItem[] }).prices[0]!.price === 8, { message: 'the newest price' })
    const seqsAfter = prices.slice(prices.indexOf(snapshot)).map((m) => m.seq as number)
    expect(seqsAfter).toEqual([...new Set(seqsAfter)].sort((a, b) => a - b))
    expect(server.app.bus.status().epoch).toBe(newEpoch)
  })
})
