import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type GenerateKeyPairResult, type JWTPayload } from 'jose'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { trade } from '../support/fixtures.js'
import { startTestServer, type TestServer } from '../support/server.js'
import { connect, type Received, type TestClient } from '../support/wsClient.js'
import { hsToken, nowSec, refusal, SECRET, unsignedToken } from './support.js'
import { publishItems } from '../support/publish.js'

const A = '0x1111111111111111111111111111111111111111'
const B = '0x2222222222222222222222222222222222222222'

const open: TestClient[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()))
})

async function client(url: string, options: Parameters<typeof connect>[1] = {}) {
  const c = await connect(url, options)
  open.push(c)
  return c
}

type Transport = 'query' | 'header' | 'message'

/** Connects presenting `token` one of three ways (for `message`, after its `authenticated` reply). */
async function withToken(url: string, token: string, transport: Transport): Promise<TestClient> {
  if (transport === 'query') return client(`${url}/?token=${token}`)
  if (transport === 'header') return client(url, { headers: { authorization: `Bearer ${token}` } })
  const c = await client(url)
  c.send({ type: 'auth', token })
  expect(await c.next()).toMatchObject({ type: 'authenticated', tier: 'premium' })
  return c
}

/** The first message of a raw connection (`connect` consumes `connected`). */
async function greeting(url: string): Promise<Received> {
  const ws = new WebSocket(url)
  const [data] = (await once(ws, 'message')) as [Buffer]
  ws.close()
  return JSON.parse(data.toString()) as Received
}

/** Expects the three transports to refuse `token` with `message`. */
async function expectRefusedEverywhere(url: string, token: string, message: string): Promise<void> {
  const body = { error: { code: 'unauthorized', message } }
  expect(await refusal(`${url}/?token=${token}`)).toMatchObject({ status: 401, body })
  const viaHeader = await refusal(url, { headers: { authorization: `Bearer ${token}` } })
  expect(viaHeader).toMatchObject({ status: 401, body })
  expect(viaHeader.headers['www-authenticate']).toBe('Bearer error="invalid_token"')
  const c = await client(url)
  c.send({ type: 'auth', token, id: 1 })
  expect(await c.next()).toEqual({ type: 'error', code: 'unauthorized', message, id: 1 })
  c.send({ type: 'subscribe', channel: 'trades', params: { tokens: ['*'] } })
  expect(await c.next()).toMatchObject({ type: 'error', code: 'premium_required' })
}

function sign(claims: JWTPayload, alg: string, key: Parameters<SignJWT['sign']>[0], kid?: string): Promise<string> {
  return new SignJWT({ exp: nowSec() + 3600, ...claims }).setProtectedHeader({ alg, ...(kid ? { kid } : {}) }).sign(key)
}

describe('HS256 with JWT_SECRET', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer({ JWT_SECRET: SECRET, JWT_CLOCK_TOLERANCE_SEC: '0' })
  })
  afterAll(() => server.stop())

  it('tells a connection without a token that it is free', async () => {
    expect(await greeting(server.url)).toEqual({ type: 'connected', clientId: expect.any(String), timestamp: expect.any(Number), epoch: expect.any(String), tier: 'free', expiresAt: null })
  })

  it('refuses premium features to a free connection with premium_required', async () => {
    const c = await client(server.url)
    const asks: [string, unknown][] = [
      ['trades', { tokens: ['*'] }],
      ['prices', { tokens: ['*'] }],
      ['alerts', { types: ['whale'] }],
      ['alerts', { types: ['price', 'rug'] }],
    ]
    for (const [channel, params] of asks) {
      c.send({ type: 'subscribe', channel, params })
      expect(await c.next()).toEqual({ type: 'error', code: 'premium_required', message: expect.stringContaining('needs a premium token') })
    }
    expect(server.gateway.hub.subscriberCount('trades')).toBe(0)
  })

  it('gives a free connection the free alert types for "*" and every address filter', async () => {
    const c = await client(server.url)
    c.send({ type: 'subscribe', channel: 'alerts' })
    expect(await c.next()).toEqual({ type: 'subscribed', channel: 'alerts', params: { types: ['price', 'volume'], tokens: [] }, seq: 0 })
    c.send({ type: 'subscribe', channel: 'trades', params: { tokens: [A], wallets: [B] } })
    expect(await c.next()).toMatchObject({ type: 'subscribed', channel: 'trades' })
  })

  it.each<Transport>(['query', 'header', 'message'])('accepts a premium token via %s', async (transport) => {
    const c = await withToken(server.url, await hsToken({ tier: 'premium' }), transport)
    c.send({ type: 'subscribe', channel: 'trades', params: { tokens: ['*'] } })
    expect(await c.next()).toEqual({ type: 'subscribed', channel: 'trades', params: { tokens: ['*'], wallets: [] }, seq: 0 })
  })

  it('answers an auth message with authenticated, its tier and expiry', async () => {
    const exp = nowSec() + 600
    const c = await client(server.url)
    c.send({ type: 'auth', token: await hsToken({ tier: 'premium', exp }), id: 'a1' })
    expect(await c.next()).toEqual({ type: 'authenticated', tier: 'premium', expiresAt: exp, id: 'a1' })
    c.send({ type: 'auth', token: await hsToken({ sub: 'u1', exp }) })
    expect(await c.next()).toEqual({ type: 'authenticated', tier: 'free', expiresAt: exp })
  })

  it('says so in connected when the token came with the upgrade', async () => {
    const exp = nowSec() + 600
    const token = await hsToken({ tier: 'premium', exp })
    expect(await greeting(`${server.url}/?token=${token}`)).toMatchObject({ type: 'connected', tier: 'premium', expiresAt: exp })
  })

  it('treats a valid token without "tier": "premium" as free', async () => {
    for (const claims of [{}, { tier: 'gold' }, { tier: ['premium'] }]) {
      const c = await client(`${server.url}/?token=${await hsToken(claims)}`)
      c.send({ type: 'subscribe', channel: 'prices', params: { tokens: ['*'] } })
      expect(await c.next()).toMatchObject({ type: 'error', code: 'premium_required' })
    }
  })

  it('refuses an expired token (401 on the upgrade, unauthorized as a message)', async () => {
    await expectRefusedEverywhere(server.url, await hsToken({ tier: 'premium', exp: nowSec() - 10 }), 'token expired')
  })

  it('refuses a token signed with another secret', async () => {
    await expectRefusedEverywhere(server.url, await hsToken({ tier: 'premium' }, 'another-secret-that-is-also-32-characters-long'), 'token signature invalid')
  })

  it('refuses alg "none"', async () => {
    await expectRefusedEverywhere(server.url, unsignedToken({ tier: 'premium' }), 'token algorithm not allowed')
  })

  it('refuses HS384/HS512 signed with the right secret (the algorithm is pinned)', async () => {
    const key = new TextEncoder().encode(SECRET)
    await expectRefusedEverywhere(server.url, await sign({ tier: 'premium' }, 'HS512', key), 'token algorithm not allowed')
  })

  it('refuses a token without exp, and one not valid yet (nbf)', async () => {
    const key = new TextEncoder().encode(SECRET)
    const noExp = await new SignJWT({ tier: 'premium' }).setProtectedHeader({ alg: 'HS256' }).sign(key)
    await expectRefusedEverywhere(server.url, noExp, 'token claim "exp" invalid: missing required "exp" claim')
    await expectRefusedEverywhere(server.url, await hsToken({ tier: 'premium', nbf: nowSec() + 600 }), 'token claim "nbf" invalid: "nbf" claim timestamp check failed')
  })

  it('refuses garbage', async () => {
    await expectRefusedEverywhere(server.url, 'not.a.jwt', 'token malformed')
  })

  it('keeps the tier a connection had when a later auth fails', async () => {
    const c = await client(`${server.url}/?token=${await hsToken({ tier: 'premium' })}`)
    c.send({ type: 'auth', token: 'junk' })
    expect(await c.next()).toMatchObject({ type: 'error', code: 'unauthorized' })
    c.send({ type: 'subscribe', channel: 'trades', params: { tokens: ['*'] } })
    expect(await c.next()).toMatchObject({ type: 'subscribed' })
  })

  it('drops an expired premium connection to free and removes its premium subscriptions with notices', async () => {
    const exp = nowSec() + 2
    const c = await client(`${server.url}/?token=${await hsToken({ tier: 'premium', exp })}`)
    const subs: [string, unknown][] = [
      ['trades', { tokens: ['*', A] }],
      ['prices', { tokens: ['*'] }],
      ['alerts', { types: ['*'] }],
      ['tokens', {}],
    ]
    for (const [channel, params] of subs) {
      c.send({ type: 'subscribe', channel, params })
      expect(await c.next()).toMatchObject({ type: 'subscribed', channel })
    }
    const expired = await c.next((m) => m.type === 'error', 5000)
    expect(Date.now()).toBeGreaterThanOrEqual(exp * 1000)
    expect(expired).toEqual({ type: 'error', code: 'token_expired', message: expect.stringContaining('free') })
    expect(await c.next()).toEqual({ type: 'unsubscribed', channel: 'trades', params: { tokens: [A], wallets: [] } })
    expect(await c.next()).toEqual({ type: 'unsubscribed', channel: 'prices' })
    expect(await c.next()).toEqual({ type: 'unsubscribed', channel: 'alerts', params: { types: ['price', 'volume'], tokens: [] } })
    const other = trade(B)
    const mine = trade(A)
    const seq = await publishItems(server.app, 'trades', [other, mine])
    expect(await c.next()).toEqual({ type: 'data', channel: 'trades', data: { trades: [mine] }, seq })
    c.send({ type: 'subscribe', channel: 'trades', params: { tokens: ['*'] } })
    expect(await c.next()).toMatchObject({ type: 'error', code: 'premium_required' })
    c.send({ type: 'auth', token: await hsToken({ tier: 'premium' }) })
    expect(await c.next()).toMatchObject({ type: 'authenticated', tier: 'premium' })
    c.send({ type: 'subscribe', channel: 'trades', params: { tokens: ['*'] } })
    expect(await c.next()).toMatchObject({ type: 'subscribed', params: { tokens: [A, '*'] } })
  })

  it('drops premium features at once when a premium connection authenticates with a free token', async () => {
    const c = await client(`${server.url}/?token=${await hsToken({ tier: 'premium' })}`)
    c.send({ type: 'subscribe', channel: 'alerts', params: { types: ['whale', 'price'] } })
    await c.next()
    c.send({ type: 'auth', token: await hsToken({}) })
    expect(await c.next()).toMatchObject({ type: 'authenticated', tier: 'free' })
    expect(await c.next()).toEqual({ type: 'unsubscribed', channel: 'alerts', params: { types: ['price'], tokens: [] } })
  })
})

describe('issuer and audience', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer({ JWT_SECRET: SECRET, JWT_ISSUER: 'https://auth.example', JWT_AUDIENCE: 'core-meme-ws' })
  })
  afterAll(() => server.stop())

  it('accepts a token with the configured iss and aud', async () => {
    const c = await client(server.url)
    c.send({ type: 'auth', token: await hsToken({ tier: 'premium', iss: 'https://auth.example', aud: 'core-meme-ws' }) })
    expect(await c.next()).toMatchObject({ type: 'authenticated', tier: 'premium' })
  })

  it('refuses another issuer or audience, or none', async () => {
    await expectRefusedEverywhere(server.url, await hsToken({ tier: 'premium', iss: 'https://evil.example', aud: 'core-meme-ws' }), 'token claim "iss" invalid: unexpected "iss" claim value')
    await expectRefusedEverywhere(server.url, await hsToken({ tier: 'premium', iss: 'https://auth.example', aud: 'other' }), 'token claim "aud" invalid: unexpected "aud" claim value')
    await expectRefusedEverywhere(server.url, await hsToken({ tier: 'premium' }), 'token claim "iss" invalid: missing required "iss" claim')
  })
})

describe('RS256/ES256 with JWT_JWKS_URL', () => {
  let jwksServer: Server
  let jwksRequests = 0
  let server: TestServer
  let both: TestServer
  const keys = {} as Record<'rsa' | 'ec' | 'stranger', GenerateKeyPairResult & { kid: string }>

  beforeAll(async () => {
    for (const [name, alg] of [['rsa', 'RS256'], ['ec', 'ES256'], ['stranger', 'RS256']] as const) {
      keys[name] = { ...(await generateKeyPair(alg, { extractable: true })), kid: `${name}-1` }
    }
    const jwks = { keys: await Promise.all((['rsa', 'ec'] as const).map(async (n) => ({ ...(await exportJWK(keys[n].publicKey)), kid: keys[n].kid, use: 'sig' }))) }
    jwksServer = createServer((_req, res) => {
      jwksRequests++
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks))
    })
    jwksServer.listen(0, '127.0.0.1')
    await once(jwksServer, 'listening')
    const address = jwksServer.address()
    const jwksUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/.well-known/jwks.json`
    server = await startTestServer({ JWT_JWKS_URL: jwksUrl })
    both = await startTestServer({ JWT_JWKS_URL: jwksUrl, JWT_SECRET: SECRET })
  })
  afterAll(async () => {
    await Promise.all([server.stop(), both.stop()])
    jwksServer.close()
  })

  it.each([
    ['RS256', 'rsa'],
    ['ES256', 'ec'],
  ] as const)('accepts a premium %s token from the key set, via each transport', async (alg, name) => {
    for (const transport of ['query', 'header', 'message'] as const) {
      const token = await sign({ tier: 'premium' }, alg, keys[name].privateKey, keys[name].kid)
      const c = await withToken(server.url, token, transport)
      c.send({ type: 'subscribe', channel: 'prices', params: { tokens: ['*'] } })
      expect(await c.next()).toMatchObject({ type: 'subscribed', channel: 'prices' })
    }
    expect(jwksRequests).toBeGreaterThan(0)
  })

  it('refuses a token signed by a key that is not in the set', async () => {
    const token = await sign({ tier: 'premium' }, 'RS256', keys.stranger.privateKey, keys.rsa.kid)
    await expectRefusedEverywhere(server.url, token, 'token signature invalid')
    const unknownKid = await sign({ tier: 'premium' }, 'RS256', keys.stranger.privateKey, keys.stranger.kid)
    await expectRefusedEverywhere(server.url, unknownKid, 'no key of the key set matches the token')
  })

  it('refuses HS256 signed with the public key (RS/HS confusion), with and without a JWT_SECRET', async () => {
    const publicPem = new TextEncoder().encode(await exportSPKI(keys.rsa.publicKey))
    const token = await sign({ tier: 'premium' }, 'HS256', publicPem, keys.rsa.kid)
    await expectRefusedEverywhere(server.url, token, 'token algorithm not allowed')
    await expectRefusedEverywhere(both.url, token, 'token signature invalid')
  })

  it('refuses an HS256 token when only a JWKS is configured, and accepts both kinds when both are', async () => {
    const hs = await hsToken({ tier: 'premium' })
    await expectRefusedEverywhere(server.url, hs, 'token algorithm not allowed')
    for (const token of [hs, await sign({ tier: 'premium' }, 'ES256', keys.ec.privateKey, keys.ec.kid)]) {
      const c = await client(both.url)
      c.send({ type: 'auth', token })
      expect(await c.next()).toMatchObject({ type: 'authenticated', tier: 'premium' })
    }
  })

  it('refuses an expired RS256 token', async () => {
    const token = await sign({ tier: 'premium', exp: nowSec() - 60 }, 'RS256', keys.rsa.privateKey, keys.rsa.kid)
    await expectRefusedEverywhere(server.url, token, 'token expired')
  })
})

describe('without JWT configured', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer()
  })
  afterAll(() => server.stop())

  it('opens every feature to everyone and ignores tokens on the upgrade', async () => {
    const c = await client(`${server.url}/?token=garbage`, { headers: { authorization: 'Bearer garbage' } })
    c.send({ type: 'subscribe', channel: 'alerts', params: { types: ['whale', 'rug'] } })
    expect(await c.next()).toMatchObject({ type: 'subscribed', params: { types: ['whale', 'rug'] } })
    c.send({ type: 'subscribe', channel: 'trades', params: { tokens: ['*'] } })
    expect(await c.next()).toMatchObject({ type: 'subscribed' })
  })

  it('answers an auth message with auth_disabled', async () => {
    const c = await client(server.url)
    c.send({ type: 'auth', token: await hsToken({ tier: 'premium' }), id: 9 })
    expect(await c.next()).toEqual({ type: 'error', code: 'auth_disabled', message: expect.any(String), id: 9 })
  })

  it('answers an auth message without a token with invalid_message', async () => {
    const c = await client(server.url)
    c.send({ type: 'auth', token: 42 })
    expect(await c.next()).toMatchObject({ type: 'error', code: 'invalid_message' })
  })
})
