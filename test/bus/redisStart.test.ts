import { pino } from 'pino'
import { afterAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { createRedisLedger } from '../../src/ledger/redisLedger.js'
import { createRedisConnection } from '../../src/redis/connection.js'
import { createMemoryStateStore } from '../../src/state/memoryStateStore.js'
import { price } from '../support/fixtures.js'
import { setPrices } from '../support/publish.js'
import { uniquePrefix } from '../support/redisServer.js'
import { startTestServer, type TestServer } from '../support/server.js'
import { waitFor } from '../support/waitFor.js'
import { connect } from '../support/wsClient.js'

const logger = pino({ level: 'silent' })
const REDIS_URL = 'redis://127.0.0.1:6379'
const A = '0xABaBaBaBABabABabAbAbABAbABabababaBaBABaB'
const servers: TestServer[] = []

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()))
})

/** The HTTP answer to a WebSocket upgrade that was refused. */
function refusal(url: string): Promise<{ status: number; retryAfter: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url)
    ws.on('unexpected-response', (_req, res) => {
      let body = ''
      res.on('data', (d: Buffer) => (body += d.toString()))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'], body }))
    })
    ws.on('open', () => reject(new Error('the upgrade was accepted')))
    ws.on('error', () => {})
  })
}

describe('a gateway on a Redis bus nobody has started', () => {
  it('refuses upgrades with 503 starting and Retry-After until an indexer starts the numbering, then serves', async () => {
    const prefix = uniquePrefix('start')
    const gateway = await startTestServer({ ROLE: 'gateway', REDIS_URL, REDIS_PREFIX: prefix }, { waitReady: false })
    servers.push(gateway)
    const refused = await refusal(gateway.url)
    expect(refused).toMatchObject({ status: 503, retryAfter: '1' })
    expect(JSON.parse(refused.body)).toMatchObject({ error: { code: 'starting' } })
    expect(gateway.app.bus.status()).toEqual({ kind: 'redis', connected: true, epoch: null })
    const notReady = await fetch(`http://127.0.0.1:${gateway.port}/ready`)
    expect([notReady.status, notReady.headers.get('retry-after'), await notReady.json()]).toEqual([503, '1', { status: 'starting' }])

    const redis = createRedisConnection({ url: REDIS_URL, prefix, logger, name: 'test-indexer' })
    await redis.ready()
    const mirror = createMemoryStateStore({ recentLimit: 10, seqOf: () => 0 })
    await createRedisLedger({ redis, limits: { historySize: 10, ttlSec: 3600, recentLimit: 10, tradesPerToken: 10 }, mirror, logger }).start({ create: true })
    const client = await waitFor(() => connect(gateway.url), { message: 'the gateway accepts connections' })
    expect(client.epoch).toBe(await gateway.app.bus.epoch())
    expect((await fetch(`http://127.0.0.1:${gateway.port}/ready`)).status).toBe(200)
    await client.close()
    await redis.close()
  })

  it('starts the numbering itself when it runs the indexer too (ROLE=all), before it listens', async () => {
    const server = await startTestServer({ REDIS_URL, REDIS_PREFIX: uniquePrefix('all') })
    servers.push(server)
    await setPrices(server.app, [price(A, 2)])
    const c = await connect(server.url)
    c.send({ type: 'subscribe', channel: 'prices', params: { tokens: [A] } })
    expect(await c.next()).toEqual({ type: 'subscribed', channel: 'prices', params: { tokens: [A] }, seq: 0 })
    expect(await c.next()).toEqual({ type: 'data', channel: 'prices', data: { prices: [price(A, 2)] }, seq: 0, snapshot: true })
    await c.close()
  })
})
