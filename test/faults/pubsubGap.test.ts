import { pino } from 'pino'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { dataPublication, encodeItems } from '../../src/bus/publication.js'
import { createRedisLedger } from '../../src/ledger/redisLedger.js'
import type { Ledger } from '../../src/ledger/ledger.js'
import type { TradeItem } from '../../src/protocol/items.js'
import { createRedisConnection, type RedisConnection } from '../../src/redis/connection.js'
import { createMemoryStateStore } from '../../src/state/memoryStateStore.js'
import { emptyDelta } from '../../src/state/stateStore.js'
import { trade } from '../support/fixtures.js'
import { startTestRedis, type TestRedis } from '../support/redisServer.js'
import { startTestServer, type TestServer } from '../support/server.js'
import { startTcpProxy, type TcpProxy } from '../support/tcpProxy.js'
import { waitFor } from '../support/waitFor.js'
import { connect, type Received, type TestClient } from '../support/wsClient.js'

/**
 * A gateway loses its Pub/Sub connection to Redis while the indexer keeps publishing. What Pub/Sub
 * dropped meanwhile is in the channel's Stream: the gateway's feed reads it back, so its clients see
 * every message once, in seq order, and are never told to re-synchronise.
 */

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' })
const A = '0xABaBaBaBABabABabAbAbABAbABabababaBaBABaB'
const PREFIX = 'cmws:' // the server's default REDIS_PREFIX, on a Redis of this test's own

let redis: TestRedis
let indexer: { ledger: Ledger; connection: RedisConnection }
const cleanups: (() => Promise<unknown>)[] = []

beforeAll(async () => {
  redis = await startTestRedis()
  const connection = createRedisConnection({ url: redis.url, prefix: PREFIX, logger, name: 'test-indexer' })
  await connection.ready()
  const mirror = createMemoryStateStore({ recentLimit: 50, seqOf: () => 0 })
  const ledger = createRedisLedger({ redis: connection, limits: { historySize: 1000, ttlSec: 3600, recentLimit: 50, tradesPerToken: 200 }, mirror, logger })
  await ledger.start({ create: true })
  indexer = { ledger, connection }
})
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})
afterAll(async () => {
  await indexer?.ledger.close()
  await indexer?.connection.close()
  await redis?.stop()
})

/** Commits one block with one trade, as the indexer does; resolves to the trade. */
async function publishTrade(): Promise<TradeItem> {
  const t = trade(A)
  const encoded = encodeItems('trades', [t])
  await indexer.ledger.commit({ publications: [{ channel: 'trades', publication: dataPublication(encoded) }], delta: { ...emptyDelta(), trades: [{ token: A, json: encoded[0]!.json }] } })
  return t
}

/** A client on `server` following every trade, with every message it receives kept in order. */
async function follower(server: TestServer): Promise<{ client: TestClient; log: Received[]; trades: () => { seq: number; txHash: string }[] }> {
  const client = await connect(server.url)
  cleanups.push(() => client.close())
  const log: Received[] = []
  client.ws.on('message', (data) => log.push(JSON.parse(data.toString()) as Received))
  client.send({ type: 'subscribe', channel: 'trades', params: { tokens: ['*'] } })
  await client.next((m) => m.type === 'subscribed')
  const trades = () => log.filter((m) => m.type === 'data').flatMap((m) => (m['data'] as { trades: TradeItem[] }).trades.map((t) => ({ seq: m.seq as number, txHash: t.txHash })))
  return { client, log, trades }
}

/** Every trade once, in publish order and in seq order, and no re-synchronisation (a single `subscribed`, the reply). */
async function expectEveryTradeOnce(f: Awaited<ReturnType<typeof follower>>, published: TradeItem[]): Promise<void> {
  const wanted = published.map((t) => t.txHash)
  await waitFor(() => f.trades().length >= wanted.length, { message: `${wanted.length} trades received`, timeoutMs: 15_000 })
  const got = f.trades()
  expect(got.map((t) => t.txHash)).toEqual(wanted)
  const seqs = got.map((t) => t.seq)
  expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
  expect(new Set(seqs).size).toBe(seqs.length)
  expect(f.log.filter((m) => m.type === 'subscribed')).toHaveLength(1)
  expect(f.log.some((m) => m['resumed'] === false)).toBe(false)
  expect(f.log.filter((m) => m.type === 'error')).toEqual([])
}

describe('a gateway whose Pub/Sub connection is cut', () => {
  it('fills what Pub/Sub dropped from the Stream: every trade once, in order, no resync (CLIENT KILL TYPE pubsub)', async () => {
    const server = await startTestServer({ ROLE: 'gateway', REDIS_URL: redis.url, REDIS_PREFIX: PREFIX })
    cleanups.push(() => server.stop())
    const f = await follower(server)
    const start = await redis.client().get(`${PREFIX}seq:trades`)
    const published: TradeItem[] = []
    for (let i = 0; i < 3; i++) published.push(await publishTrade())
    await waitFor(() => f.trades().length === 3, { message: 'the first trades arrive live' })

    const admin = redis.client()
    // Redis takes no new connection while the Pub/Sub one is gone (maxclients = the others), so
    // the trades published meanwhile certainly reach no subscriber.
    const connected = Number(/connected_clients:(\d+)/.exec(await admin.info('clients'))![1])
    await admin.config('SET', 'maxclients', String(connected - 1))
    cleanups.push(() => admin.config('SET', 'maxclients', '10000'))
    expect(await admin.client('KILL', 'TYPE', 'pubsub')).toBe(1)
    for (let i = 0; i < 4; i++) published.push(await publishTrade())
    const [, listeners] = (await admin.pubsub('NUMSUB', `${PREFIX}chan:trades`)) as [string, number]
    expect(Number(listeners)).toBe(0)
    expect(f.trades()).toHaveLength(3)
    await admin.config('SET', 'maxclients', '10000')
    await waitFor(async () => Number(((await admin.pubsub('NUMSUB', `${PREFIX}chan:trades`)) as [string, number])[1]) > 0, { message: 'the gateway subscribed again' })
    for (let i = 0; i < 3; i++) published.push(await publishTrade())

    await expectEveryTradeOnce(f, published)
    expect(f.trades()[0]!.seq).toBe(Number(start ?? 0) + 1)
    expect(f.client.ws.readyState).toBe(f.client.ws.OPEN)
  })

  it('catches up after both of its connections were cut and refused for a while (a partition)', async () => {
    const proxy: TcpProxy = await startTcpProxy(redis.port)
    cleanups.push(() => proxy.close())
    const server = await startTestServer({ ROLE: 'gateway', REDIS_URL: `redis://127.0.0.1:${proxy.port}`, REDIS_PREFIX: PREFIX })
    cleanups.push(() => server.stop())
    const f = await follower(server)
    const published: TradeItem[] = []
    for (let i = 0; i < 2; i++) published.push(await publishTrade())
    await waitFor(() => f.trades().length === 2, { message: 'the first trades arrive live' })

    proxy.refuse(true)
    await waitFor(() => !server.app.bus.status().connected, { message: 'the gateway noticed the partition' })
    for (let i = 0; i < 4; i++) published.push(await publishTrade())
    expect(f.trades()).toHaveLength(2)
    proxy.refuse(false)
    // Nothing more is published: the reconnect alone must bring the missed trades.
    await expectEveryTradeOnce(f, published)
    for (let i = 0; i < 2; i++) published.push(await publishTrade())
    await expectEveryTradeOnce(f, published)
  })
})
