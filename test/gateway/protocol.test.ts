import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connect, type TestClient } from '../support/wsClient.js'
import { startTestServer, type TestServer } from '../support/server.js'

const A_LOWER = '0x' + 'ab'.repeat(20)
const A = '0xABaBaBaBABabABabAbAbABAbABabababaBaBABaB'
const B = '0x1212121212121212121212121212121212121212'

let server: TestServer
const clients: TestClient[] = []
async function client() {
  const c = await connect(server.url)
  clients.push(c)
  return c
}

beforeAll(async () => {
  server = await startTestServer()
})
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()))
  await server.stop()
})

describe('connection', () => {
  it('greets with a connected message carrying a client id and a Unix-seconds timestamp', async () => {
    const c = await client()
    expect(c.clientId).toMatch(/^[0-9a-f-]{36}$/)
    const now = Math.floor(Date.now() / 1000)
    c.send({ type: 'ping' })
    const pong = await c.next()
    expect(pong).toEqual({ type: 'pong', timestamp: expect.any(Number) })
    expect(Math.abs((pong['timestamp'] as number) - now)).toBeLessThanOrEqual(2)
  })

  it('echoes the id of a message in its reply', async () => {
    const c = await client()
    c.send({ type: 'ping', id: 'p-1' })
    expect(await c.next()).toMatchObject({ type: 'pong', id: 'p-1' })
    c.send({ type: 'subscribe', channel: 'tokens', id: 7 })
    expect(await c.next()).toEqual({ type: 'subscribed', channel: 'tokens', params: { includeRecent: false }, seq: 0, id: 7 })
  })
})

describe('subscribe', () => {
  it('acknowledges each channel with the effective, checksummed params', async () => {
    const c = await client()
    c.send({ type: 'subscribe', channel: 'prices', params: { tokens: [A_LOWER, A.toUpperCase().replace('0X', '0x')] } })
    expect(await c.next()).toEqual({ type: 'subscribed', channel: 'prices', params: { tokens: [A] }, seq: 0 })
    c.send({ type: 'subscribe', channel: 'tokens', params: { includeRecent: true } })
    expect(await c.next()).toEqual({ type: 'subscribed', channel: 'tokens', params: { includeRecent: true }, seq: 0 })
    c.send({ type: 'subscribe', channel: 'trades', params: { tokens: ['*'] } })
    expect(await c.next()).toEqual({ type: 'subscribed', channel: 'trades', params: { tokens: ['*'], wallets: [] }, seq: 0 })
    c.send({ type: 'subscribe', channel: 'alerts', params: { types: ['price', 'whale', 'rug', '*'] } })
    expect(await c.next()).toEqual({ type: 'subscribed', channel: 'alerts', params: { types: ['price', 'whale', 'rug', '*'], tokens: [] }, seq: 0 })
  })

  it('defaults alerts to every type', async () => {
    const c = await client()
    c.send({ type: 'subscribe', channel: 'alerts' })
    expect(await c.next()).toEqual({ type: 'subscribed', channel: 'alerts', params: { types: ['*'], tokens: [] }, seq: 0 })
  })

  it('merges a second subscription to the same channel', async () => {
    const c = await client()
    c.send({ type: 'subscribe', channel: 'prices', params: { tokens: [A] } })
    await c.next()
    c.send({ type: 'subscribe', channel: 'prices', params: { tokens: [B, A_LOWER] } })
    expect(await c.next()).toEqual({ type: 'subscribed', channel: 'prices', params: { tokens: [A, B] }, seq: 0 })
    c.send({ type: 'subscribe', channel: 'trades', params: { wallets: [B], minValueUsd: 100 } })
    await c.next()
    c.send({ type: 'subscribe', channel: 'trades', params: { tokens: [A] } })
    expect(await c.next()).toEqual({ type: 'subscribed', channel: 'trades', params: { tokens: [A], wallets: [B], minValueUsd: 100 }, seq: 0 })
  })

  it('unsubscribes some tokens, then the whole channel', async () => {
    const c = await client()
    const before = server.gateway.hub.subscriberCount('prices')
    c.send({ type: 'subscribe', channel: 'prices', params: { tokens: [A, B] } })
    await c.next()
    expect(server.gateway.hub.subscriberCount('prices')).toBe(before + 1)
    c.send({ type: 'unsubscribe', channel: 'prices', params: { tokens: [A_LOWER] } })
    expect(await c.next()).toEqual({ type: 'unsubscribed', channel: 'prices', params: { tokens: [B] } })
    c.send({ type: 'unsubscribe', channel: 'prices', id: 'u' })
    expect(await c.next()).toEqual({ type: 'unsubscribed', channel: 'prices', id: 'u' })
    expect(server.gateway.hub.subscriberCount('prices')).toBe(before)
  })

  it('treats removing the last token as leaving the channel', async () => {
    const c = await client()
    c.send({ type: 'subscribe', channel: 'trades', params: { tokens: [A] } })
    await c.next()
    c.send({ type: 'unsubscribe', channel: 'trades', params: { tokens: [A] } })
    expect(await c.next()).toEqual({ type: 'unsubscribed', channel: 'trades' })
  })
})

describe('bad input gets an error and the connection lives', () => {
  const cases: [string, unknown, string][] = [
    ['invalid JSON', '{"type":', 'invalid_json'],
    ['an array', '[1,2]', 'invalid_message'],
    ['a number', '42', 'invalid_message'],
    ['null', 'null', 'invalid_message'],
    ['a missing type', { channel: 'prices' }, 'invalid_message'],
    ['a non-string type', { type: 5 }, 'invalid_message'],
    ['an unknown type', { type: 'subscribe_all' }, 'unknown_type'],
    ['an unknown channel', { type: 'subscribe', channel: 'candles' }, 'unknown_channel'],
    ['a missing channel', { type: 'subscribe' }, 'invalid_message'],
    ['prices without tokens', { type: 'subscribe', channel: 'prices', params: {} }, 'invalid_params'],
    ['prices with an empty list', { type: 'subscribe', channel: 'prices', params: { tokens: [] } }, 'invalid_params'],
    ['tokens not a list', { type: 'subscribe', channel: 'trades', params: { tokens: A } }, 'invalid_params'],
    ['trades with no filter', { type: 'subscribe', channel: 'trades', params: {} }, 'invalid_params'],
    ['an unknown param', { type: 'subscribe', channel: 'tokens', params: { includeRecnt: true } }, 'invalid_params'],
    ['an unknown alert type', { type: 'subscribe', channel: 'alerts', params: { types: ['moon'] } }, 'invalid_params'],
    ['a negative minValueUsd', { type: 'subscribe', channel: 'trades', params: { tokens: ['*'], minValueUsd: -1 } }, 'invalid_params'],
    ['a short address', { type: 'subscribe', channel: 'prices', params: { tokens: ['0x1234'] } }, 'invalid_address'],
    ['a non-hex address', { type: 'subscribe', channel: 'trades', params: { wallets: ['0x' + 'zz'.repeat(20)] } }, 'invalid_address'],
    ['a wildcard wallet', { type: 'subscribe', channel: 'trades', params: { wallets: ['*'] } }, 'invalid_address'],
    ['a malformed unsubscribe', { type: 'unsubscribe', channel: 'prices', params: { tokens: 'x' } }, 'invalid_params'],
  ]

  it.each(cases)('%s → %s', async (_name, message, code) => {
    const c = await client()
    c.send(message)
    const reply = await c.next()
    expect(reply).toEqual({ type: 'error', code, message: expect.any(String) })
    c.send({ type: 'ping', id: 1 })
    expect(await c.next()).toMatchObject({ type: 'pong', id: 1 })
  })

  it('echoes the id on an error reply', async () => {
    const c = await client()
    c.send({ type: 'subscribe', channel: 'nope', id: 'x1' })
    expect(await c.next()).toEqual({ type: 'error', code: 'unknown_channel', message: expect.stringContaining('nope'), id: 'x1' })
  })

  it('rejects a binary frame with binary_not_supported', async () => {
    const c = await client()
    c.ws.send(Buffer.from(JSON.stringify({ type: 'ping' })), { binary: true })
    expect(await c.next()).toEqual({ type: 'error', code: 'binary_not_supported', message: expect.any(String) })
    c.send({ type: 'ping' })
    expect(await c.next()).toMatchObject({ type: 'pong' })
  })

  it('applies nothing from a subscribe that has one bad address', async () => {
    const c = await client()
    c.send({ type: 'subscribe', channel: 'prices', params: { tokens: [A, '0xbad'] } })
    expect(await c.next()).toMatchObject({ type: 'error', code: 'invalid_address' })
    c.send({ type: 'unsubscribe', channel: 'prices', params: { tokens: [B] } })
    expect(await c.next()).toEqual({ type: 'unsubscribed', channel: 'prices' })
  })

  it('never lets __proto__ keys reach an object', async () => {
    const c = await client()
    c.send('{"type":"subscribe","channel":"tokens","params":{"__proto__":{"polluted":true}}}')
    expect(await c.next()).toMatchObject({ type: 'error', code: 'invalid_params' })
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined()
  })
})

describe('http', () => {
  it('GET /health reports the seed shape and counts connections', async () => {
    const before = (await (await fetch(`http://127.0.0.1:${server.port}/health`)).json()) as Record<string, unknown>
    const c = await client()
    const res = await fetch(`http://127.0.0.1:${server.port}/health`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/application\/json/)
    const body = (await res.json()) as Record<string, unknown>
    expect(body).toMatchObject({ status: 'ok', connections: (before['connections'] as number) + 1, uptime: expect.any(Number) })
    expect(new Date(body['timestamp'] as string).toISOString()).toBe(body['timestamp'])
    await c.close()
  })

  it('answers an unknown path with a JSON 404', async () => {
    const res = await fetch(`http://127.0.0.1:${server.port}/nowhere`)
    expect(res.status).toBe(404)
    expect(await res.json()).toEqual({ error: { code: 'not_found', message: 'no route for /nowhere' } })
  })

  it('answers a POST to /health with 405', async () => {
    const res = await fetch(`http://127.0.0.1:${server.port}/health`, { method: 'POST' })
    expect(res.status).toBe(405)
    expect(await res.json()).toMatchObject({ error: { code: 'method_not_allowed' } })
  })
})
