import type { Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { price, trade } from '../support/fixtures.js'
import { startTestServer, type TestServer } from '../support/server.js'
import { waitFor } from '../support/waitFor.js'
import { publishItems } from '../support/publish.js'

const CAP = 256 * 1024
const TOKENS = ['0x1111111111111111111111111111111111111111', '0x2222222222222222222222222222222222222222', '0x3333333333333333333333333333333333333333']

let server: TestServer | undefined
afterEach(async () => {
  await server?.stop()
  server = undefined
})

/** A client that keeps no messages: it records the seq and arrival time of each `data`, and the last one. */
type Reader = {
  ws: WebSocket
  socket: Socket
  received: number
  last: Record<string, unknown> | undefined
  closed: Promise<{ code: number; reason: string }>
  /** Resolves once a `data` message with this seq (or a later one) arrived. */
  reached(seq: number): Promise<void>
}

async function reader(url: string, channel: string, params: unknown): Promise<Reader> {
  const ws = new WebSocket(url, { perMessageDeflate: false })
  const waiters: { seq: number; resolve: () => void }[] = []
  const r: Reader = {
    ws,
    socket: undefined as unknown as Socket,
    received: 0,
    last: undefined,
    closed: new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }))),
    reached: (seq) => new Promise((resolve) => ((r.last?.['seq'] as number) >= seq ? resolve() : waiters.push({ seq, resolve }))),
  }
  const subscribed = new Promise<void>((resolve) => {
    ws.on('message', (data: Buffer) => {
      const m = JSON.parse(data.toString()) as Record<string, unknown>
      if (m['type'] === 'subscribed') return resolve()
      if (m['type'] !== 'data') return
      r.received++
      r.last = m
      for (const w of waiters.filter((w) => (m['seq'] as number) >= w.seq)) {
        waiters.splice(waiters.indexOf(w), 1)
        w.resolve()
      }
    })
  })
  ws.on('error', () => {})
  await new Promise((resolve) => ws.once('open', resolve))
  r.socket = (ws as unknown as { _socket: Socket })._socket
  ws.send(JSON.stringify({ type: 'subscribe', channel, params }))
  await subscribed
  return r
}

const yieldToIo = () => new Promise((resolve) => setImmediate(resolve))

describe('slow consumers', () => {
  it('closes a client that stops reading with 4008 while the others keep receiving everything', async () => {
    server = await startTestServer({ MAX_QUEUED_BYTES: String(CAP) })
    const fast = await Promise.all([1, 2].map(() => reader(server!.url, 'trades', { tokens: ['*'] })))
    const slow = await reader(server.url, 'trades', { tokens: ['*'] })
    slow.socket.pause()
    const memo = 'x'.repeat(2000)
    const items = Array.from({ length: 10 }, () => trade(TOKENS[0]!, { memo }))
    let largestBacklog = 0
    let last = 0
    for (let i = 0; i < 3000; i++) {
      last = await publishItems(server.app, 'trades', items)
      largestBacklog = Math.max(largestBacklog, server.gateway.stats().largestBacklogBytes)
      if (i % 5 === 4) await yieldToIo()
    }
    // The slow client reads again as soon as it is dropped: the server cuts a dropped client that has
    // not read its close frame within a grace period, and the fast readers may take longer than that.
    await waitFor(() => server!.gateway.stats().slowConsumers === 1, { message: 'the slow client was dropped' })
    slow.socket.resume()
    expect(await slow.closed).toEqual({ code: 4008, reason: 'slow consumer' })
    expect(slow.received).toBeLessThan(3000)
    await Promise.all(fast.map((r) => r.reached(last)))
    for (const r of fast) expect(r.received).toBe(3000)
    expect(largestBacklog).toBeLessThanOrEqual(CAP + 32 * 1024)
    expect(server.gateway.hub.subscriberCount('trades')).toBe(2)
    expect(server.gateway.stats().queuedBytes).toBe(0)
    await waitFor(() => server!.gateway.connections() === 2)
    for (const r of fast) r.ws.close()
  })

  it('replaces stale price ticks per token while a client is behind, instead of queueing them', async () => {
    server = await startTestServer({ MAX_QUEUED_BYTES: String(CAP) })
    const fast = await reader(server.url, 'prices', { tokens: ['*'] })
    const slow = await reader(server.url, 'prices', { tokens: ['*'] })
    slow.socket.pause()
    const pad = 'p'.repeat(3000)
    let last = 0
    const rounds = 3000
    for (let i = 1; i <= rounds; i++) {
      last = await publishItems(server.app, 'prices', TOKENS.map((t, k) => ({ ...price(t, i + k / 10), pad })))
      if (i % 20 === 0) await yieldToIo()
    }
    await fast.reached(last)
    expect(fast.received).toBe(rounds)
    expect(server.gateway.stats().slowConsumers).toBe(0)
    slow.socket.resume()
    await slow.reached(last)
    expect(slow.received).toBeLessThan(rounds)
    expect(slow.last).toMatchObject({ type: 'data', channel: 'prices', seq: last })
    const newest = (slow.last!['data'] as { prices: { tokenAddress: string; price: number }[] }).prices
    expect(Object.fromEntries(newest.map((p) => [p.tokenAddress, p.price]))).toEqual(Object.fromEntries(TOKENS.map((t, k) => [t, rounds + k / 10])))
    expect(slow.ws.readyState).toBe(WebSocket.OPEN)
    slow.ws.close()
    fast.ws.close()
  })
})
