import { afterEach, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../support/server.js'
import { waitFor } from '../support/waitFor.js'
import { connect, type TestClient } from '../support/wsClient.js'
import { refusal } from './support.js'

let server: TestServer | undefined
const open: TestClient[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()))
  await server?.stop()
  server = undefined
})

async function client(url: string, options: Parameters<typeof connect>[1] = {}) {
  const c = await connect(url, options)
  open.push(c)
  return c
}

const forwardedFor = (value: string) => ({ headers: { 'x-forwarded-for': value } })

describe('connections per IP', () => {
  it('refuses the upgrade past MAX_CONNECTIONS_PER_IP with HTTP 429 too_many_connections', async () => {
    server = await startTestServer({ MAX_CONNECTIONS_PER_IP: '2' })
    await client(server.url)
    await client(server.url)
    expect(await refusal(server.url)).toMatchObject({
      status: 429,
      body: { error: { code: 'too_many_connections', message: 'at most 2 connections per IP address' } },
    })
    expect(server.gateway.connections()).toBe(2)
    expect(server.gateway.stats().refusedUpgrades).toEqual({ too_many_connections: 1 })
  })

  it('frees the slot when a connection closes', async () => {
    server = await startTestServer({ MAX_CONNECTIONS_PER_IP: '1' })
    const first = await client(server.url)
    await refusal(server.url)
    await first.close()
    await waitFor(() => server!.gateway.connections() === 0)
    const second = await client(server.url)
    second.send({ type: 'ping' })
    expect(await second.next()).toMatchObject({ type: 'pong' })
  })

  it('ignores X-Forwarded-For unless TRUST_PROXY is set', async () => {
    server = await startTestServer({ MAX_CONNECTIONS_PER_IP: '1' })
    await client(server.url, forwardedFor('203.0.113.1'))
    expect((await refusal(server.url, forwardedFor('203.0.113.2'))).status).toBe(429)
  })

  it('with TRUST_PROXY=true counts the address the proxy appended to X-Forwarded-For', async () => {
    server = await startTestServer({ MAX_CONNECTIONS_PER_IP: '1', TRUST_PROXY: 'true' })
    await client(server.url, forwardedFor('203.0.113.1'))
    await client(server.url, forwardedFor('203.0.113.2'))
    expect((await refusal(server.url, forwardedFor('203.0.113.1'))).status).toBe(429)
    expect((await refusal(server.url, forwardedFor('198.51.100.9, 203.0.113.2'))).status).toBe(429)
    await client(server.url, forwardedFor('203.0.113.1, 203.0.113.3'))
    await client(server.url)
  })

  it('with TRUST_PROXY=2 skips one more proxy from the right', async () => {
    server = await startTestServer({ MAX_CONNECTIONS_PER_IP: '1', TRUST_PROXY: '2' })
    await client(server.url, forwardedFor('203.0.113.1, 10.0.0.1'))
    await client(server.url, forwardedFor('203.0.113.2, 10.0.0.1'))
    expect((await refusal(server.url, forwardedFor('spoofed, 203.0.113.1, 10.0.0.2'))).status).toBe(429)
  })
})

describe('global connection cap', () => {
  it('refuses the upgrade past MAX_CONNECTIONS with HTTP 503 server_full, whatever the IP', async () => {
    server = await startTestServer({ MAX_CONNECTIONS: '2', TRUST_PROXY: 'true' })
    await client(server.url, forwardedFor('203.0.113.1'))
    await client(server.url, forwardedFor('203.0.113.2'))
    expect(await refusal(server.url, forwardedFor('203.0.113.3'))).toMatchObject({
      status: 503,
      body: { error: { code: 'server_full', message: 'the server is at its limit of 2 connections' } },
    })
  })

  it('keeps answering HTTP while the WebSocket side is full', async () => {
    server = await startTestServer({ MAX_CONNECTIONS: '1' })
    await client(server.url)
    const res = await fetch(`http://127.0.0.1:${server.port}/health`)
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ status: 'ok', connections: 1 })
  })
})

describe('allowed origins', () => {
  const ORIGINS = 'https://app.example.com, http://localhost:5173'

  it('refuses a browser Origin not in ALLOWED_ORIGINS with HTTP 403 origin_not_allowed', async () => {
    server = await startTestServer({ ALLOWED_ORIGINS: ORIGINS })
    expect(await refusal(server.url, { origin: 'https://evil.example' })).toMatchObject({
      status: 403,
      body: { error: { code: 'origin_not_allowed', message: 'origin "https://evil.example" is not allowed' } },
    })
    expect((await refusal(server.url, { origin: 'null' })).status).toBe(403)
    expect((await refusal(server.url, { origin: 'https://app.example.com.evil.example' })).status).toBe(403)
  })

  it('accepts a listed Origin (any letter case) and clients that send no Origin', async () => {
    server = await startTestServer({ ALLOWED_ORIGINS: ORIGINS })
    await client(server.url, { origin: 'https://APP.example.com' })
    await client(server.url, { origin: 'http://localhost:5173' })
    await client(server.url)
  })

  it('accepts every Origin when ALLOWED_ORIGINS is unset', async () => {
    server = await startTestServer()
    await client(server.url, { origin: 'https://anywhere.example' })
  })
})
