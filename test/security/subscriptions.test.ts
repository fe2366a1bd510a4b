import { afterEach, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../support/server.js'
import { connect, type TestClient } from '../support/wsClient.js'
import { hsToken, SECRET } from './support.js'

/** Digit-only addresses are their own EIP-55 checksum, so replies can be compared as sent. */
const addr = (i: number) => `0x${i.toString().padStart(40, '0')}`
const [A, B, C, D] = [1, 2, 3, 4].map(addr)

let server: TestServer | undefined
const open: TestClient[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()))
  await server?.stop()
  server = undefined
})

async function client(url: string) {
  const c = await connect(url)
  open.push(c)
  return c
}

describe('tokens per connection', () => {
  it('refuses a subscribe that would pass MAX_TOKENS_PER_CONNECTION across channels with too_many_tokens, applying nothing', async () => {
    server = await startTestServer({ MAX_TOKENS_PER_CONNECTION: '3' })
    const c = await client(server.url)
    c.send({ type: 'subscribe', channel: 'prices', params: { tokens: [A, B] } })
    expect(await c.next()).toMatchObject({ type: 'subscribed', channel: 'prices' })
    const tradesBefore = server.gateway.hub.subscriberCount('trades')
    c.send({ type: 'subscribe', channel: 'trades', params: { tokens: [C], wallets: [D] }, id: 't' })
    expect(await c.next()).toEqual({
      type: 'error',
      code: 'too_many_tokens',
      message: 'this connection may follow at most 3 tokens and wallets across channels; this subscribe would make 4',
      id: 't',
    })
    expect(server.gateway.hub.subscriberCount('trades')).toBe(tradesBefore)
    c.send({ type: 'subscribe', channel: 'prices', params: { tokens: [B, C, D] } })
    expect(await c.next()).toMatchObject({ type: 'error', code: 'too_many_tokens' })
    c.send({ type: 'unsubscribe', channel: 'prices', params: { tokens: [] } })
    expect(await c.next()).toEqual({ type: 'unsubscribed', channel: 'prices', params: { tokens: [A, B] } })
  })

  it('counts distinct entries after merging, so repeating tokens costs nothing', async () => {
    server = await startTestServer({ MAX_TOKENS_PER_CONNECTION: '3' })
    const c = await client(server.url)
    c.send({ type: 'subscribe', channel: 'prices', params: { tokens: [A, B] } })
    await c.next()
    c.send({ type: 'subscribe', channel: 'prices', params: { tokens: [A, B, C] } })
    expect(await c.next()).toMatchObject({ type: 'subscribed', params: { tokens: [A, B, C] } })
    c.send({ type: 'subscribe', channel: 'alerts', params: { types: ['price'] } })
    expect(await c.next()).toMatchObject({ type: 'subscribed', channel: 'alerts' })
    c.send({ type: 'subscribe', channel: 'alerts', params: { tokens: [D] } })
    expect(await c.next()).toMatchObject({ type: 'error', code: 'too_many_tokens' })
  })

  it('has a default of 500 for free connections', async () => {
    server = await startTestServer()
    const c = await client(server.url)
    const list = (from: number, n: number) => Array.from({ length: n }, (_, i) => addr(from + i))
    for (let i = 0; i < 2; i++) {
      c.send({ type: 'subscribe', channel: 'trades', params: { tokens: list(1000 + i * 250, 250) } })
      expect(await c.next()).toMatchObject({ type: 'subscribed' })
    }
    c.send({ type: 'subscribe', channel: 'prices', params: { tokens: [addr(1)] } })
    expect(await c.next()).toMatchObject({ type: 'error', code: 'too_many_tokens', message: expect.stringContaining('at most 500') })
  })

  it('gives premium connections MAX_TOKENS_PER_CONNECTION_PREMIUM', async () => {
    server = await startTestServer({ JWT_SECRET: SECRET, MAX_TOKENS_PER_CONNECTION: '2', MAX_TOKENS_PER_CONNECTION_PREMIUM: '4' })
    const free = await client(server.url)
    const premium = await client(`${server.url}/?token=${await hsToken({ tier: 'premium' })}`)
    for (const c of [free, premium]) c.send({ type: 'subscribe', channel: 'prices', params: { tokens: [A, B, C] } })
    expect(await free.next()).toMatchObject({ type: 'error', code: 'too_many_tokens' })
    expect(await premium.next()).toMatchObject({ type: 'subscribed' })
    premium.send({ type: 'subscribe', channel: 'trades', params: { wallets: [D, addr(5)] } })
    expect(await premium.next()).toMatchObject({ type: 'error', code: 'too_many_tokens', message: expect.stringContaining('at most 4') })
  })
})

describe('list lengths in one message', () => {
  it('refuses more `types` entries than there are alert types with too_many_tokens', async () => {
    server = await startTestServer()
    const c = await client(server.url)
    c.send({ type: 'subscribe', channel: 'alerts', params: { types: ['price', 'volume', 'whale', 'rug', 'risk', '*', 'price'] } })
    expect(await c.next()).toEqual({ type: 'error', code: 'too_many_tokens', message: expect.stringContaining('types') })
    c.send({ type: 'unsubscribe', channel: 'alerts', params: { types: ['price', 'price', 'price', 'price', 'price', 'price', 'price'] } })
    expect(await c.next()).toMatchObject({ type: 'error', code: 'too_many_tokens' })
    expect(server.gateway.hub.subscriberCount('alerts')).toBe(0)
  })

  it('refuses a list of more than 1000 addresses with too_many_tokens', async () => {
    server = await startTestServer({ MAX_PAYLOAD_BYTES: '131072' })
    const c = await client(server.url)
    const tokens = Array.from({ length: 1001 }, (_, i) => addr(i + 1))
    c.send({ type: 'subscribe', channel: 'prices', params: { tokens } })
    expect(await c.next()).toEqual({ type: 'error', code: 'too_many_tokens', message: expect.stringContaining('tokens') })
    expect(server.gateway.hub.subscriberCount('prices')).toBe(0)
  })
})
