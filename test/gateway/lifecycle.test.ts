import { describe, expect, it } from 'vitest'
import { connect } from '../support/wsClient.js'
import { startTestServer } from '../support/server.js'
import { startServerProcess } from '../support/serverProcess.js'
import { waitFor } from '../support/waitFor.js'

describe('heartbeat', () => {
  it('terminates a client that misses a pong and keeps one that answers', async () => {
    const server = await startTestServer({ HEARTBEAT_INTERVAL_MS: '1000' })
    try {
      const silent = await connect(server.url, { autoPong: false })
      const healthy = await connect(server.url)
      const { code } = await silent.closed
      expect(code).toBe(1006)
      expect(silent.pings()).toBe(1)
      healthy.send({ type: 'ping' })
      expect(await healthy.next()).toMatchObject({ type: 'pong' })
      expect(server.gateway.connections()).toBe(1)
      await healthy.close()
    } finally {
      await server.stop()
    }
  })
})

describe('shutdown', () => {
  it('closes every client with 1012 (service restart: reconnect now) when the app stops', async () => {
    const server = await startTestServer()
    const a = await connect(server.url)
    const b = await connect(server.url)
    await server.stop()
    expect(await a.closed).toEqual({ code: 1012, reason: 'service restart: reconnect' })
    expect((await b.closed).code).toBe(1012)
  })

  it('on SIGTERM turns /ready to 503 and refuses upgrades before closing anyone, then closes its clients with 1012 and exits 0', async () => {
    const server = await startServerProcess({ CORE_NETWORK: 'none', DRAIN_GRACE_MS: '1500', DRAIN_SPREAD_MS: '400', SHUTDOWN_TIMEOUT_MS: '5000' })
    const ready = async () => {
      const res = await fetch(`${server.http}/ready`)
      return { status: res.status, body: (await res.json()) as unknown, retryAfter: res.headers.get('retry-after') }
    }
    expect(await ready()).toEqual({ status: 200, body: { status: 'ready' }, retryAfter: null })
    const clients = await Promise.all([1, 2, 3].map(() => connect(server.url)))
    let closed = 0
    for (const c of clients) void c.closed.then(() => closed++)
    process.kill(server.pid, 'SIGTERM')
    await waitFor(async () => (await ready()).status === 503, { message: '/ready turned 503' })
    expect(await ready()).toEqual({ status: 503, body: { status: 'draining' }, retryAfter: '1' })
    expect(closed).toBe(0) // nobody closed yet: the load balancer has DRAIN_GRACE_MS to notice
    await expect(connect(server.url)).rejects.toThrow('upgrade refused: HTTP 503')
    for (const c of clients) expect(await c.closed).toEqual({ code: 1012, reason: 'service restart: reconnect' })
    expect(await server.stop()).toBe(0)
    expect(server.output()).toMatch(/"msg":"closing clients"/)
  })
})
