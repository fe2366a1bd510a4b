import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { HolderRow, TokenItem, TokenRisk } from '../../src/protocol/items.js'
import { riskFigures, riskItem, token } from '../support/fixtures.js'
import { addTokens, publishItems, writeState } from '../support/publish.js'
import { startTestServer, type TestServer } from '../support/server.js'
import { connect, type Received, type TestClient } from '../support/wsClient.js'

const A = '0xABaBaBaBABabABabAbAbABAbABabababaBaBABaB'
const B = '0x1212121212121212121212121212121212121212'
const C = '0x3434343434343434343434343434343434343434'

let server: TestServer
const open: TestClient[] = []

beforeAll(async () => {
  server = await startTestServer()
})
afterAll(async () => {
  await Promise.all(open.map((c) => c.close()))
  await server.stop()
})

const launch = (address: string, liquidityUsd: number | null, risk: Partial<TokenRisk>): TokenItem => ({ ...token(address), initialLiquidityUsd: liquidityUsd, risk: riskFigures(risk) })

async function subscribed(channel: string, params?: unknown) {
  const c = await connect(server.url)
  open.push(c)
  c.send({ type: 'subscribe', channel, params })
  expect(await c.next()).toMatchObject({ type: 'subscribed', channel })
  return c
}
const isData = (m: Received) => m.type === 'data'
const items = (m: Received, key: string) => (m['data'] as Record<string, unknown[]>)[key]!

describe('the risk channel', () => {
  it('sends the current figures of the asked tokens, then only their updates', async () => {
    await writeState(server.app, { risk: [A, B].map((t) => ({ token: t, json: JSON.stringify(riskItem(t)) })) })
    const c = await subscribed('risk', { tokens: [A, C] })
    const snap = await c.next()
    expect(snap).toMatchObject({ type: 'data', channel: 'risk', snapshot: true })
    expect(items(snap, 'risk')).toEqual([riskItem(A)])
    const update = riskItem(A, { devHeldPercent: 2, blockNumber: 101 })
    const seq = await publishItems(server.app, 'risk', [riskItem(B, { blockNumber: 101 }), update])
    expect(await c.next(isData)).toEqual({ type: 'data', channel: 'risk', data: { risk: [update] }, seq })
  })

  it('refuses params it does not know and a risk subscription without tokens', async () => {
    const c = await connect(server.url)
    open.push(c)
    c.send({ type: 'subscribe', channel: 'risk', params: { tokens: [] } })
    expect(await c.next()).toMatchObject({ type: 'error', code: 'invalid_params' })
    c.send({ type: 'subscribe', channel: 'tokens', params: { maxDevHeldPercent: 101 } })
    expect(await c.next()).toMatchObject({ type: 'error', code: 'invalid_params' })
  })
})

describe('launch filters on tokens', () => {
  const safe = launch(A, 50_000, { devHeldPercent: 5, lp: { burnedPercent: 99, creatorPercent: 0, othersPercent: 1 }, honeypot: false })
  const honeypot = launch(B, 80_000, { devHeldPercent: 2, lp: { burnedPercent: 100, creatorPercent: 0, othersPercent: 0 }, honeypot: true })
  const devHeavy = launch(C, 900, { devHeldPercent: 60, honeypot: null })

  it('sends each subscriber the launches its filters accept, and all of them to a subscriber without filters', async () => {
    const all = await subscribed('tokens', {})
    const rich = await subscribed('tokens', { minLiquidityUsd: 1000 })
    const noHoneypot = await subscribed('tokens', { excludeHoneypots: true, maxDevHeldPercent: 10 })
    const burned = await subscribed('tokens', { lpBurnedOnly: true })
    const seq = await publishItems(server.app, 'tokens', [safe, honeypot, devHeavy])
    expect(await all.next(isData)).toEqual({ type: 'data', channel: 'tokens', data: { tokens: [safe, honeypot, devHeavy] }, seq })
    expect(await rich.next(isData)).toEqual({ type: 'data', channel: 'tokens', data: { tokens: [safe, honeypot] }, seq })
    expect(await noHoneypot.next(isData)).toEqual({ type: 'data', channel: 'tokens', data: { tokens: [safe] }, seq })
    expect(await burned.next(isData)).toEqual({ type: 'data', channel: 'tokens', data: { tokens: [safe, honeypot] }, seq })
  })

  it('filters the recent launches of includeRecent the same way', async () => {
    await addTokens(server.app, [safe, honeypot, devHeavy])
    const c = await subscribed('tokens', { includeRecent: true, excludeHoneypots: true })
    const snap = await c.next()
    expect(items(snap, 'tokens').slice(0, 2)).toEqual([devHeavy, safe])
  })
})

describe('risk over HTTP', () => {
  it('includes risk in GET /tokens/:address and lists holders with labels', async () => {
    const rows: HolderRow[] = [
      { address: '0x5555555555555555555555555555555555555555', balance: '600', percent: 60, labels: ['pair'] },
      { address: '0x9999999999999999999999999999999999999999', balance: '300', percent: 30, labels: ['creator'] },
      { address: '0x8181818181818181818181818181818181818181', balance: '100', percent: 10, labels: ['sniper', 'bundle'] },
    ]
    await addTokens(server.app, [token(A)])
    await writeState(server.app, { risk: [{ token: A, json: JSON.stringify(riskItem(A)) }], holders: [{ token: A, json: JSON.stringify(rows) }] })
    const one = (await (await fetch(`http://127.0.0.1:${server.port}/tokens/${A.toLowerCase()}`)).json()) as { risk: unknown }
    expect(one.risk).toEqual(riskItem(A))
    const holders = await fetch(`http://127.0.0.1:${server.port}/tokens/${A}/holders?limit=2`)
    expect(holders.status).toBe(200)
    expect(await holders.json()).toEqual({ address: A, holders: rows.slice(0, 2) })
    expect((await fetch(`http://127.0.0.1:${server.port}/tokens/${A}/holders?limit=0`)).status).toBe(400)
    expect((await fetch(`http://127.0.0.1:${server.port}/tokens/${C}/holders`)).status).toBe(404)
  })
})
