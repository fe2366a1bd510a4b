import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { price, trade } from '../support/fixtures.js'
import { publishItems, publishReorg } from '../support/publish.js'
import { startTestServer, type TestServer } from '../support/server.js'
import { waitFor } from '../support/waitFor.js'
import { connect, subscribe, type TestClient } from '../support/wsClient.js'

/**
 * Operations: `/metrics` has every series the README documents, and its counters move with the
 * traffic; `/ready` says whether the process serves; `/metrics` is protected by METRICS_TOKEN.
 */

const A = '0xABaBaBaBABabABabAbAbABAbABabababaBaBABaB'
const TOKEN = 'metrics-token-0123456789'
let server: TestServer
const open: TestClient[] = []

beforeAll(async () => {
  server = await startTestServer({ RATE_LIMIT_BURST: '3', RATE_LIMIT_PER_MIN: '60', RATE_LIMIT_CLOSE_AFTER: '2', METRICS_TOKEN: TOKEN })
})
afterAll(async () => {
  await Promise.all(open.map((c) => c.close()))
  await server?.stop()
})

async function scrape(): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${server.port}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })
  expect(res.status).toBe(200)
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
  return res.text()
}

/** A sample's value (0 when absent), e.g. value(text, 'cmws_gateway_messages_sent_total', { channel: 'trades' }). */
function value(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels)
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{([^}]*)\})? (\S+)$/.exec(line)
    if (!m || m[1] !== name) continue
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]))
    if (wanted.every(([k, v]) => have[k] === v)) return Number(m[3])
  }
  return 0
}

/** The series the README's metrics table lists. */
function documented(): string[] {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
  const section = readme.slice(readme.indexOf('### Metrics'), readme.indexOf('### Readiness'))
  return [...section.matchAll(/^\| `(cmws_[a-z_]+)`/gm)].map((m) => m[1]!)
}

describe('GET /metrics', () => {
  it('is refused without the METRICS_TOKEN bearer', async () => {
    const res = await fetch(`http://127.0.0.1:${server.port}/metrics`)
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="metrics"')
    expect(await res.json()).toMatchObject({ error: { code: 'unauthorized' } })
  })

  it('exposes every series the README documents, in the cmws_<area>_<name>_<unit> scheme', async () => {
    const names = documented()
    expect(names.length).toBeGreaterThan(30)
    const text = await scrape()
    for (const name of names) expect(text, name).toMatch(new RegExp(`^# TYPE ${name} `, 'm'))
    for (const [, name] of text.matchAll(/^# TYPE (\S+) /gm)) expect(name).toMatch(/^cmws_[a-z]+_[a-z0-9_]+$/)
  })

  it('moves its counters with the traffic: subscriptions, messages and bytes sent, delivery delay, rate limits, reorg notices', async () => {
    const before = await scrape()
    const c = await subscribe(server.url, 'trades', { tokens: ['*'] }, open)
    await subscribe(server.url, 'prices', { tokens: ['*'] }, open)
    const t = trade(A)
    const seq = await publishItems(server.app, 'trades', [t])
    await c.next((m) => m.type === 'data' && m.seq === seq)
    await publishReorg(server.app, 'trades', 10, 10, [t.txHash])
    await c.next((m) => m.type === 'reorg')
    await publishItems(server.app, 'prices', [price(A)])
    const flood = await connect(server.url)
    open.push(flood)
    for (let i = 0; i < 8; i++) flood.send({ type: 'ping' })
    expect(await flood.closed).toMatchObject({ code: 1008 })
    const after = await scrape()
    const delta = (name: string, labels: Record<string, string> = {}) => value(after, name, labels) - value(before, name, labels)
    expect(value(after, 'cmws_gateway_subscriptions', { channel: 'trades' })).toBe(1)
    expect(delta('cmws_gateway_messages_sent_total', { channel: 'trades' })).toBe(2) // the trade and the reorg notice
    expect(delta('cmws_gateway_sent_bytes_total', { channel: 'trades' })).toBeGreaterThan(JSON.stringify(t).length)
    expect(delta('cmws_bus_received_messages_total', { channel: 'trades' })).toBe(2)
    expect(delta('cmws_bus_received_messages_total', { channel: 'prices' })).toBe(1)
    expect(delta('cmws_gateway_delivery_delay_seconds_count', { channel: 'trades' })).toBe(2)
    expect(delta('cmws_gateway_rate_limited_total')).toBe(2)
    expect(delta('cmws_gateway_clients_closed_total', { reason: 'rate_limit' })).toBe(1)
    expect(value(after, 'cmws_gateway_connections', { tier: 'free' })).toBe(2)
    expect(value(after, 'cmws_bus_connected', { kind: server.app.bus.status().kind })).toBe(1)
    expect(value(after, 'cmws_gateway_ready')).toBe(1)
  })

  it('counts a slow consumer closed with 4008 and the price ticks it had replaced', async () => {
    const slow = await startTestServer({ MAX_QUEUED_BYTES: '65536' })
    try {
      const c = await subscribe(slow.url, 'prices', { tokens: ['*'] }, [])
      ;(c.ws as unknown as { _socket: { pause(): void } })._socket.pause()
      // Every message updates the same 50 tokens: while the client is behind, each replaces the last.
      const tokens = Array.from({ length: 50 }, (_, k) => `0x${k.toString(16).padStart(40, '1')}`)
      const pad = 'x'.repeat(3000)
      for (let i = 0; i < 3000 && slow.gateway.stats().slowConsumers === 0; i++) {
        await publishItems(slow.app, 'prices', tokens.map((t) => ({ ...price(t, i), pad })))
        if (i % 10 === 9) await new Promise((resolve) => setImmediate(resolve))
      }
      await waitFor(() => slow.gateway.stats().slowConsumers === 1, { message: 'the slow client was dropped' })
      const text = await (await fetch(`http://127.0.0.1:${slow.port}/metrics`)).text()
      expect(value(text, 'cmws_gateway_clients_closed_total', { reason: 'slow_consumer' })).toBe(1)
      expect(value(text, 'cmws_gateway_frames_replaced_total')).toBeGreaterThan(0)
      ;(c.ws as unknown as { _socket: { resume(): void } })._socket.resume()
      await c.close()
    } finally {
      await slow.stop()
    }
  })
})

describe('GET /ready', () => {
  it('answers 200 while serving, and /health says so too', async () => {
    const ok = await fetch(`http://127.0.0.1:${server.port}/ready`)
    expect([ok.status, await ok.json()]).toEqual([200, { status: 'ready' }])
    const health = (await (await fetch(`http://127.0.0.1:${server.port}/health`)).json()) as Record<string, unknown>
    expect(health).toMatchObject({ status: 'ok', readiness: 'ready', bus: { kind: expect.any(String), connected: true } })
  })
})
