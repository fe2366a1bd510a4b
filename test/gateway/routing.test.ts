import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connect, type Received, type TestClient } from '../support/wsClient.js'
import { startTestServer, type TestServer } from '../support/server.js'
import { alert, price, token, trade } from '../support/fixtures.js'
import { publishItems, publishReorg, setPrices, addTokens } from '../support/publish.js'

const A = '0xABaBaBaBABabABabAbAbABAbABabababaBaBABaB'
const B = '0x1212121212121212121212121212121212121212'
const C = '0x3434343434343434343434343434343434343434'
const WHALE = '0x7777777777777777777777777777777777777777'

let server: TestServer
const open: TestClient[] = []

beforeAll(async () => {
  server = await startTestServer()
})
afterAll(async () => {
  await Promise.all(open.map((c) => c.close()))
  await server.stop()
})

async function subscribed(channel: string, params?: unknown, extra: object = {}) {
  const c = await connect(server.url)
  open.push(c)
  c.send({ type: 'subscribe', channel, params, ...extra })
  const ack = await c.next()
  expect(ack).toMatchObject({ type: 'subscribed', channel })
  return c
}

const isData = (m: Received) => m.type === 'data'
const items = (m: Received, key: string) => (m['data'] as Record<string, Record<string, unknown>[]>)[key]!

describe('routing', () => {
  it('sends a token subscriber only its token, batched per bus message, with the bus seq', async () => {
    const a = await subscribed('trades', { tokens: [A] })
    const b = await subscribed('trades', { tokens: [B] })
    const t1 = trade(A)
    const t2 = trade(B)
    const t3 = trade(A, { type: 'sell' })
    const seq = await publishItems(server.app, 'trades', [t1, t2, t3])
    expect(await a.next(isData)).toEqual({ type: 'data', channel: 'trades', data: { trades: [t1, t3] }, seq })
    expect(await b.next(isData)).toEqual({ type: 'data', channel: 'trades', data: { trades: [t2] }, seq })
  })

  it('never sends token B to a token-A subscriber, and "*" receives everything', async () => {
    const a = await subscribed('trades', { tokens: [A] })
    const all = await subscribed('trades', { tokens: ['*'] })
    const onlyB = await publishItems(server.app, 'trades', [trade(B)])
    const sentinel = trade(A)
    const next = await publishItems(server.app, 'trades', [sentinel])
    expect(await a.next()).toEqual({ type: 'data', channel: 'trades', data: { trades: [sentinel] }, seq: next })
    expect(a.pending()).toEqual([])
    expect((await all.next()).seq).toBe(onlyB)
    expect((await all.next()).seq).toBe(next)
  })

  it('gives seq numbers that increase by one per message on a channel', async () => {
    const c = await subscribed('prices', { tokens: ['*'] })
    const seqs: number[] = []
    for (let i = 0; i < 5; i++) seqs.push(await publishItems(server.app, 'prices', [price(A, i)]))
    const got = await Promise.all(seqs.map(() => c.next(isData)))
    expect(got.map((m) => m.seq)).toEqual(seqs)
    expect(seqs.slice(1).map((s, i) => s - seqs[i]!)).toEqual([1, 1, 1, 1])
  })

  it('stops delivery after unsubscribe', async () => {
    const c = await subscribed('trades', { tokens: [A, B] })
    c.send({ type: 'unsubscribe', channel: 'trades', params: { tokens: [A] } })
    await c.next((m) => m.type === 'unsubscribed')
    await publishItems(server.app, 'trades', [trade(A)])
    const sentinel = trade(B)
    const seq = await publishItems(server.app, 'trades', [sentinel])
    expect(await c.next()).toEqual({ type: 'data', channel: 'trades', data: { trades: [sentinel] }, seq })
    c.send({ type: 'unsubscribe', channel: 'trades' })
    expect(await c.next()).toEqual({ type: 'unsubscribed', channel: 'trades' })
    await publishItems(server.app, 'trades', [trade(B)])
    c.send({ type: 'ping' })
    expect(await c.next()).toMatchObject({ type: 'pong' })
  })

  it('routes trades by wallet and filters by minValueUsd', async () => {
    const byWallet = await subscribed('trades', { wallets: [WHALE.toLowerCase()] })
    const big = await subscribed('trades', { tokens: ['*'], minValueUsd: 1000 })
    const small = trade(C, { trader: WHALE, valueUsd: 10 })
    const large = trade(B, { valueUsd: 5000 })
    const unknownValue = trade(B, { valueUsd: null })
    const seq = await publishItems(server.app, 'trades', [small, large, unknownValue])
    expect(await byWallet.next(isData)).toEqual({ type: 'data', channel: 'trades', data: { trades: [small] }, seq })
    expect(await big.next(isData)).toEqual({ type: 'data', channel: 'trades', data: { trades: [large] }, seq })
  })

  it('does not send a trade twice to a client that matches it by token and by wallet', async () => {
    const c = await subscribed('trades', { tokens: [A], wallets: [WHALE] })
    const t = trade(A, { trader: WHALE })
    await publishItems(server.app, 'trades', [t])
    expect(items(await c.next(isData), 'trades')).toEqual([t])
  })

  it('filters alerts by type, token and severity', async () => {
    const whales = await subscribed('alerts', { types: ['whale'] })
    const critical = await subscribed('alerts', { types: ['*'], minSeverity: 'critical' })
    const tokenA = await subscribed('alerts', { tokens: [A] })
    const w = alert('whale', B, { severity: 'warning' })
    const r = alert('rug', A, { severity: 'critical' })
    const p = alert('price', A, { severity: 'info' })
    const seq = await publishItems(server.app, 'alerts', [w, r, p])
    expect(items(await whales.next(isData), 'alerts')).toEqual([w])
    expect(items(await critical.next(isData), 'alerts')).toEqual([r])
    expect(await tokenA.next(isData)).toEqual({ type: 'data', channel: 'alerts', data: { alerts: [r, p] }, seq })
  })

  it('sends new tokens to every tokens subscriber', async () => {
    const c = await subscribed('tokens')
    const t = token(C)
    const seq = await publishItems(server.app, 'tokens', [t])
    expect(await c.next(isData)).toEqual({ type: 'data', channel: 'tokens', data: { tokens: [t] }, seq })
  })

  it('encodes each distinct selection once, however many clients share it', async () => {
    const group = await Promise.all([1, 2, 3, 4].map(() => subscribed('prices', { tokens: [C] })))
    const other = await subscribed('prices', { tokens: [B] })
    const before = server.gateway.hub.stats()
    await publishItems(server.app, 'prices', [price(C), price(B), price(A)])
    await Promise.all([...group, other].map((c) => c.next(isData)))
    const after = server.gateway.hub.stats()
    expect(after.framesEncoded - before.framesEncoded).toBe(2 + 1)
  })

  it('matches clients with equal params once per message, and moves a client whose params change', async () => {
    const same = await Promise.all([1, 2, 3].map(() => subscribed('trades', { tokens: [C], minValueUsd: 100 })))
    const before = server.gateway.hub.stats()
    const big = trade(C, { valueUsd: 500 })
    await publishItems(server.app, 'trades', [big, trade(C, { valueUsd: 5 })])
    for (const c of same) expect(items(await c.next(isData), 'trades')).toEqual([big])
    expect(server.gateway.hub.stats().groupsMatched - before.groupsMatched).toBe(1)
    // One of them lowers its threshold: it leaves the group, the others keep theirs.
    same[0]!.send({ type: 'subscribe', channel: 'trades', params: { tokens: [C], minValueUsd: 1 } })
    await same[0]!.next((m) => m.type === 'subscribed')
    const small = trade(C, { valueUsd: 5 })
    const seq = await publishItems(server.app, 'trades', [small])
    expect(await same[0]!.next(isData)).toEqual({ type: 'data', channel: 'trades', data: { trades: [small] }, seq })
    const later = await publishItems(server.app, 'trades', [big])
    for (const c of same.slice(1)) expect(await c.next(isData)).toEqual({ type: 'data', channel: 'trades', data: { trades: [big] }, seq: later })
  })

  it('announces a reorg to the channel subscribers with its seq', async () => {
    const c = await subscribed('trades', { tokens: [A] })
    const seq = await publishReorg(server.app, 'trades', 10, 12, ['0xaa'])
    expect(await c.next()).toEqual({ type: 'reorg', channel: 'trades', seq, fromBlock: 10, toBlock: 12, txHashes: ['0xaa'] })
  })
})

describe('snapshots and resume', () => {
  it('sends a prices snapshot of known tokens on subscribe', async () => {
    await setPrices(server.app, [price(A, 1.5), price(B, 2.5)])
    const c = await connect(server.url)
    open.push(c)
    c.send({ type: 'subscribe', channel: 'prices', params: { tokens: [A, C] } })
    expect(await c.next()).toMatchObject({ type: 'subscribed' })
    const snap = await c.next()
    expect(snap).toMatchObject({ type: 'data', channel: 'prices', snapshot: true, seq: expect.any(Number) })
    expect(items(snap, 'prices')).toEqual([price(A, 1.5)])
  })

  it('sends recent launches, newest first, when includeRecent is true', async () => {
    const older = token(A, 1)
    const newer = token(B, 2)
    await addTokens(server.app, [older, newer])
    const c = await subscribed('tokens', { includeRecent: true })
    const snap = await c.next()
    expect(snap).toMatchObject({ type: 'data', channel: 'tokens', snapshot: true })
    expect(items(snap, 'tokens').slice(0, 2)).toEqual([newer, older])
  })

  it('replays what a client missed since a seq, in order, then continues live without repeats', async () => {
    const first = await publishItems(server.app, 'trades', [trade(A)])
    const missed = [trade(A), trade(B), trade(A)]
    for (const t of missed) await publishItems(server.app, 'trades', [t])
    const c = await connect(server.url)
    open.push(c)
    c.send({ type: 'subscribe', channel: 'trades', params: { tokens: [A], since: first } })
    const latest = await server.app.bus.lastSeq('trades')
    expect(await c.next()).toEqual({ type: 'subscribed', channel: 'trades', params: { tokens: [A], wallets: [] }, seq: latest, resumed: true })
    expect(items(await c.next(), 'trades')).toEqual([missed[0]])
    expect(items(await c.next(), 'trades')).toEqual([missed[2]])
    const live = trade(A)
    const seq = await publishItems(server.app, 'trades', [live])
    expect(await c.next()).toEqual({ type: 'data', channel: 'trades', data: { trades: [live] }, seq })
  })

  it('treats a since ahead of this bus (another epoch) as not resumed, and drops nothing new', async () => {
    const fresh = await startTestServer()
    try {
      await publishItems(fresh.app, 'trades', [trade(A)])
      const c = await connect(fresh.url)
      c.send({ type: 'subscribe', channel: 'trades', params: { tokens: ['*'], since: 500 } })
      expect(await c.next()).toEqual({ type: 'subscribed', channel: 'trades', params: { tokens: ['*'], wallets: [] }, seq: 1, resumed: false })
      const live = trade(B)
      expect(await publishItems(fresh.app, 'trades', [live])).toBe(2)
      expect(await c.next()).toEqual({ type: 'data', channel: 'trades', data: { trades: [live] }, seq: 2 })
      await c.close()
    } finally {
      await fresh.stop()
    }
  })

  it('tells each process its own epoch, and the current seq on subscribe so a quiet channel can resume', async () => {
    const other = await startTestServer()
    try {
      const [a, b] = await Promise.all([connect(server.url), connect(other.url)])
      expect(a.epoch).toMatch(/^[0-9a-f-]{36}$/)
      expect(a.epoch).not.toBe(b.epoch)
      await publishItems(other.app, 'alerts', [alert('price', A)])
      b.send({ type: 'subscribe', channel: 'alerts' })
      const ack = await b.next()
      expect(ack).toMatchObject({ type: 'subscribed', channel: 'alerts', seq: 1 })
      await b.close()
      const missed = alert('whale', B)
      await publishItems(other.app, 'alerts', [missed])
      const again = await connect(other.url)
      again.send({ type: 'subscribe', channel: 'alerts', params: { since: ack.seq } })
      expect(await again.next()).toMatchObject({ type: 'subscribed', seq: 2, resumed: true })
      expect(await again.next()).toEqual({ type: 'data', channel: 'alerts', data: { alerts: [missed] }, seq: 2 })
      await Promise.all([a.close(), again.close()])
    } finally {
      await other.stop()
    }
  })

  it('says resumed: false when history no longer reaches back', async () => {
    const small = await startTestServer({ HISTORY_SIZE: '2' })
    try {
      for (let i = 0; i < 5; i++) await publishItems(small.app, 'trades', [trade(A)])
      const c = await connect(small.url)
      c.send({ type: 'subscribe', channel: 'trades', params: { tokens: ['*'], since: 1 } })
      expect(await c.next()).toMatchObject({ type: 'subscribed', resumed: false })
      expect((await c.next()).seq).toBe(4)
      expect((await c.next()).seq).toBe(5)
      await c.close()
    } finally {
      await small.stop()
    }
  })
})
