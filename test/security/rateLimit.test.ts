import { afterEach, describe, expect, it } from 'vitest'
import { createRateLimiter, createTokenBucket } from '../../src/gateway/rateLimiter.js'
import { startTestServer, type TestServer } from '../support/server.js'
import { waitFor } from '../support/waitFor.js'
import { connect, type Received } from '../support/wsClient.js'
import { hsToken, SECRET } from './support.js'

function clock(start = 1_000_000) {
  let t = start
  return { now: () => t, advance: (ms: number) => void (t += ms) }
}

describe('token bucket', () => {
  it('grants a burst of `capacity`, then one token per 60000/perMinute ms', () => {
    const c = clock()
    const bucket = createTokenBucket({ capacity: 3, perMinute: 60, now: c.now })
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([0, 0, 0])
    expect(bucket.take()).toBe(1000)
    c.advance(400)
    expect(bucket.take()).toBe(600)
    c.advance(600)
    expect(bucket.take()).toBe(0)
    expect(bucket.take()).toBe(1000)
  })

  it('never holds more than its capacity however long it idles', () => {
    const c = clock()
    const bucket = createTokenBucket({ capacity: 2, perMinute: 600, now: c.now })
    c.advance(3_600_000)
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([0, 0, 100])
  })

  it('caps the sustained rate at perMinute', () => {
    const c = clock()
    const bucket = createTokenBucket({ capacity: 5, perMinute: 100, now: c.now })
    let granted = 0
    for (let ms = 0; ms < 60_000; ms += 10) {
      if (bucket.take() === 0) granted++
      c.advance(10)
    }
    expect(granted).toBe(5 + 100 - 1)
  })
})

describe('rate limiter', () => {
  it('refuses with retryAfterMs, then asks to close once the refusal allowance is spent', () => {
    const c = clock()
    const limiter = createRateLimiter({ perMinute: 60, burst: 2, closeAfter: 3, now: c.now })
    const verdicts = Array.from({ length: 6 }, () => limiter.check())
    expect(verdicts).toEqual([
      { ok: true },
      { ok: true },
      { ok: false, retryAfterMs: 1000, close: false },
      { ok: false, retryAfterMs: 1000, close: false },
      { ok: false, retryAfterMs: 1000, close: false },
      { ok: false, retryAfterMs: 1000, close: true },
    ])
  })

  it('does not close a client that waits as told', () => {
    const c = clock()
    const limiter = createRateLimiter({ perMinute: 60, burst: 1, closeAfter: 1, now: c.now })
    for (let i = 0; i < 100; i++) {
      expect(limiter.check()).toEqual({ ok: true })
      const refused = limiter.check()
      expect(refused).toEqual({ ok: false, retryAfterMs: 1000, close: false })
      c.advance(1000 + 1000)
    }
  })

  it('applies a new rate (premium) from now on', () => {
    const c = clock()
    const limiter = createRateLimiter({ perMinute: 60, burst: 1, closeAfter: 10, now: c.now })
    limiter.check()
    limiter.setRate(6000)
    expect(limiter.check()).toEqual({ ok: false, retryAfterMs: 10, close: false })
  })
})

let server: TestServer | undefined
afterEach(async () => {
  await server?.stop()
  server = undefined
})

const isError = (m: Received) => m.type === 'error'

describe('message rate on a live connection', () => {
  it('answers messages past the burst with rate_limited and the wait, counting every frame', async () => {
    server = await startTestServer({ RATE_LIMIT_PER_MIN: '60', RATE_LIMIT_BURST: '3' })
    const c = await connect(server.url)
    c.send({ type: 'ping', id: 1 })
    c.send('not json')
    c.ws.send(Buffer.from([1, 2, 3]), { binary: true })
    c.send({ type: 'ping', id: 2 })
    expect(await c.next()).toMatchObject({ type: 'pong', id: 1 })
    expect(await c.next()).toMatchObject({ type: 'error', code: 'invalid_json' })
    expect(await c.next()).toMatchObject({ type: 'error', code: 'binary_not_supported' })
    const limited = await c.next()
    expect(limited).toEqual({ type: 'error', code: 'rate_limited', message: expect.stringContaining('60 messages per minute'), retryAfterMs: expect.any(Number) })
    expect(limited['retryAfterMs']).toBeGreaterThan(0)
    expect(limited['retryAfterMs']).toBeLessThanOrEqual(1000)
    await new Promise((resolve) => setTimeout(resolve, limited['retryAfterMs'] as number))
    c.send({ type: 'ping', id: 3 })
    expect(await c.next()).toMatchObject({ type: 'pong', id: 3 })
    await c.close()
  })

  it('closes a client that keeps sending far past the limit with 1008', async () => {
    server = await startTestServer({ RATE_LIMIT_PER_MIN: '60', RATE_LIMIT_BURST: '2', RATE_LIMIT_CLOSE_AFTER: '3' })
    const c = await connect(server.url)
    for (let i = 0; i < 20; i++) c.send({ type: 'ping', id: i })
    expect(await c.closed).toEqual({ code: 1008, reason: 'rate limit exceeded' })
    const replies = c.pending()
    expect(replies.filter((m) => m.type === 'pong')).toHaveLength(2)
    expect(replies.filter(isError).map((m) => m['code'])).toEqual(['rate_limited', 'rate_limited', 'rate_limited'])
    await waitFor(() => server!.gateway.stats().floodCloses === 1, { message: 'the flooding client was counted' })
  })

  it('limits each connection on its own', async () => {
    server = await startTestServer({ RATE_LIMIT_PER_MIN: '60', RATE_LIMIT_BURST: '1' })
    const a = await connect(server.url)
    const b = await connect(server.url)
    a.send({ type: 'ping' })
    a.send({ type: 'ping' })
    expect(await a.next()).toMatchObject({ type: 'pong' })
    expect(await a.next()).toMatchObject({ type: 'error', code: 'rate_limited' })
    b.send({ type: 'ping' })
    expect(await b.next()).toMatchObject({ type: 'pong' })
    await Promise.all([a.close(), b.close()])
  })

  it('gives premium connections RATE_LIMIT_PREMIUM_PER_MIN', async () => {
    server = await startTestServer({ JWT_SECRET: SECRET, RATE_LIMIT_PER_MIN: '1', RATE_LIMIT_PREMIUM_PER_MIN: '60', RATE_LIMIT_BURST: '1' })
    const free = await connect(server.url)
    const premium = await connect(`${server.url}/?token=${await hsToken({ tier: 'premium' })}`)
    for (const c of [free, premium]) {
      c.send({ type: 'ping' })
      c.send({ type: 'ping' })
      expect(await c.next()).toMatchObject({ type: 'pong' })
    }
    const freeWait = (await free.next(isError))['retryAfterMs'] as number
    const premiumWait = (await premium.next(isError))['retryAfterMs'] as number
    expect(freeWait).toBeGreaterThan(59_000)
    expect(freeWait).toBeLessThanOrEqual(60_000)
    expect(premiumWait).toBeGreaterThan(900)
    expect(premiumWait).toBeLessThanOrEqual(1000)
    await Promise.all([free.close(), premium.close()])
  })
})
