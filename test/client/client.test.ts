import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { getAddress } from 'viem'
import WebSocket from 'ws'
import { connect, recentItems, type ChannelEvent, type MemeClient } from '../../src/client/index.js'
import { freePort } from '../../src/devnet/anvil.js'
import { price, trade } from '../support/fixtures.js'
import { publishItems, publishReorg, setPrices } from '../support/publish.js'
import { uniquePrefix } from '../support/redisServer.js'
import { startTestServer, type TestServer } from '../support/server.js'
import { startTcpProxy, type TcpProxy } from '../support/tcpProxy.js'
import { waitFor } from '../support/waitFor.js'
import { hsToken, SECRET } from '../security/support.js'

/**
 * The typed client against real servers: whatever happens to the connection (a cut, a drain with
 * 1012, a shutdown with 1001, a switch to another gateway of the same bus), its handler sees the
 * sequence an uninterrupted client sees; a restart of a one-process server (new epoch) is told as a
 * gap, not hidden.
 */

const A = '0xABaBaBaBABabABabAbAbABAbABabababaBaBABaB'
const options = { WebSocket, reconnect: { minMs: 20, maxMs: 200 } }
const cleanups: (() => Promise<unknown> | unknown)[] = []
afterEach(async () => {
  for (const clean of cleanups.splice(0).reverse()) await clean()
})
afterAll(async () => {
  for (const clean of cleanups.splice(0).reverse()) await clean()
})

async function server(env: Record<string, string> = {}): Promise<TestServer> {
  const s = await startTestServer(env)
  cleanups.push(() => s.stop())
  return s
}

async function proxyTo(port: number): Promise<TcpProxy> {
  const p = await startTcpProxy(port)
  cleanups.push(() => p.close())
  return p
}

/** A client with everything its `trades` handler got. */
function follow(url: string): { client: MemeClient; events: ChannelEvent<'trades'>[]; trades: () => string[]; seqs: () => number[] } {
  const client = connect(url, options)
  cleanups.push(() => client.close())
  const events: ChannelEvent<'trades'>[] = []
  client.subscribe('trades', { tokens: ['*'] }, (e) => events.push(e))
  const data = () => events.flatMap((e) => (e.type === 'data' ? [e] : []))
  return { client, events, trades: () => data().flatMap((e) => e.items.map((t) => t.txHash)), seqs: () => data().map((e) => e.seq) }
}

async function subscribed(f: { events: ChannelEvent[] }, count = 1): Promise<void> {
  await waitFor(() => f.events.filter((e) => e.type === 'subscribed').length >= count, { message: `${count} subscribed` })
}

/** Publishes `n` one-trade messages; resolves to their tx hashes. */
async function publish(s: TestServer, n: number): Promise<string[]> {
  const hashes: string[] = []
  for (let i = 0; i < n; i++) {
    const t = trade(A)
    await publishItems(s.app, 'trades', [t])
    hashes.push(t.txHash)
  }
  return hashes
}

describe('the typed client', () => {
  it('hands every message over once across a cut connection, resuming with since', async () => {
    const s = await server()
    const proxy = await proxyTo(s.port)
    const reference = follow(s.url)
    const f = follow(`ws://127.0.0.1:${proxy.port}`)
    await Promise.all([subscribed(reference), subscribed(f)])
    const states: string[] = []
    f.client.on('state', (st) => states.push(st))
    const all = [...(await publish(s, 3))]
    await waitFor(() => f.trades().length === 3)
    proxy.cutAll()
    await waitFor(() => states.includes('reconnecting'))
    all.push(...(await publish(s, 3)))
    await subscribed(f, 2)
    all.push(...(await publish(s, 2)))
    await waitFor(() => f.trades().length === all.length && reference.trades().length === all.length)
    expect(f.trades()).toEqual(all)
    expect(f.seqs()).toEqual(reference.seqs())
    expect(f.events.filter((e) => e.type === 'subscribed').map((e) => (e as { resumed: boolean | null }).resumed)).toEqual([null, true])
    expect(f.events.some((e) => e.type === 'gap')).toBe(false)
    expect(states).toEqual(['reconnecting', 'connected'])
  })

  it('resumes on another gateway of the same bus after a drain (1012) and a shutdown (1001): the same stream, no gap', async () => {
    const env = { REDIS_URL: 'redis://127.0.0.1:6379', REDIS_PREFIX: uniquePrefix('client') }
    const [gw1, gw2, gw3] = [await server(env), await server(env), await server(env)]
    const lb = await proxyTo(gw1.port)
    const reference = follow(gw3.url)
    const f = follow(`ws://127.0.0.1:${lb.port}`)
    await Promise.all([subscribed(reference), subscribed(f)])
    const closes: number[] = []
    const all = await publish(gw3, 2)
    await waitFor(() => f.trades().length === 2)
    lb.retarget(gw2.port)
    void gw1.gateway.close({ code: 1012 }).then(() => closes.push(1012))
    await subscribed(f, 2)
    all.push(...(await publish(gw3, 2)))
    lb.retarget(gw1.port === gw2.port ? gw3.port : gw3.port)
    await gw2.gateway.close({ code: 1001 })
    closes.push(1001)
    await subscribed(f, 3)
    all.push(...(await publish(gw3, 2)))
    await waitFor(() => f.trades().length === all.length && reference.trades().length === all.length)
    expect(closes).toEqual([1012, 1001])
    expect(f.trades()).toEqual(all)
    expect(f.seqs()).toEqual(reference.seqs())
    expect(f.events.filter((e) => e.type === 'subscribed').map((e) => (e as { resumed: boolean | null }).resumed)).toEqual([null, true, true])
    expect(f.events.some((e) => e.type === 'gap')).toBe(false)
    expect(f.client.epoch()).toBe(reference.client.epoch())
  })

  it('tells a gap when a one-process server restarted (a new epoch), then streams the new numbering', async () => {
    const port = await freePort()
    const first = await startTestServer({ WS_PORT: String(port) })
    const f = follow(`ws://127.0.0.1:${port}`)
    await subscribed(f)
    const before = await publish(first, 2)
    await waitFor(() => f.trades().length === 2)
    const epoch = f.client.epoch()
    await first.stop()
    const second = await server({ WS_PORT: String(port) })
    await subscribed(f, 2)
    const after = await publish(second, 1)
    await waitFor(() => f.trades().length === 3)
    expect(f.trades()).toEqual([...before, ...after])
    expect(f.events.filter((e) => e.type === 'gap')).toEqual([{ type: 'gap', channel: 'trades', reason: 'epoch', seq: 2 }])
    expect(f.client.epoch()).not.toBe(epoch)
    expect(f.seqs()).toEqual([1, 2, 1])
  })

  it('tells a gap when the history no longer reaches back, and re-reads the prices snapshot', async () => {
    const s = await server({ HISTORY_SIZE: '2' })
    const proxy = await proxyTo(s.port)
    await setPrices(s.app, [price(A, 1)])
    const client = connect(`ws://127.0.0.1:${proxy.port}`, options)
    cleanups.push(() => client.close())
    const events: ChannelEvent<'prices'>[] = []
    client.subscribe('prices', { tokens: [A] }, (e) => events.push(e))
    await waitFor(() => events.some((e) => e.type === 'data' && e.snapshot))
    proxy.refuse(true)
    await waitFor(() => client.state() === 'reconnecting')
    for (let i = 2; i <= 5; i++) {
      await publishItems(s.app, 'prices', [price(A, i)])
      await setPrices(s.app, [price(A, i)])
    }
    proxy.refuse(false)
    await waitFor(() => events.filter((e) => e.type === 'data' && e.snapshot).length === 2, { message: 'a second snapshot' })
    const gap = events.find((e) => e.type === 'gap')
    expect(gap).toMatchObject({ type: 'gap', channel: 'prices', reason: 'not_resumed' })
    const snapshot = events.filter((e) => e.type === 'data' && e.snapshot).at(-1) as Extract<ChannelEvent<'prices'>, { type: 'data' }>
    expect(snapshot.items).toEqual([price(A, 5)])
    expect(events.indexOf(gap!)).toBeLessThan(events.indexOf(snapshot))
  })

  it('retries a subscribe refused with rate_limited after retryAfterMs, and iterates with for await', async () => {
    const s = await server({ RATE_LIMIT_BURST: '1', RATE_LIMIT_PER_MIN: '600', METRICS_TOKEN: 'metrics-token-for-tests' })
    const client = connect(s.url, options)
    cleanups.push(() => client.close())
    const trades = client.subscribe('trades', { tokens: ['*'] })
    const alerts = client.subscribe('alerts', { types: ['*'] })
    const got: string[] = []
    const reading = (async () => {
      for await (const event of trades) {
        got.push(event.type)
        if (event.type === 'data') break
      }
    })()
    const subscribedAlerts = (async () => {
      for await (const event of alerts) if (event.type === 'subscribed') return event
    })()
    expect(await subscribedAlerts).toMatchObject({ type: 'subscribed', channel: 'alerts' })
    await waitFor(() => got.includes('subscribed'))
    await publishItems(s.app, 'trades', [trade(A)])
    await reading
    expect(got).toEqual(['subscribed', 'data'])
    const metrics = await (await fetch(`http://127.0.0.1:${s.port}/metrics`, { headers: { authorization: 'Bearer metrics-token-for-tests' } })).text()
    expect(Number(/^cmws_gateway_rate_limited_total (\d+)/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(1)
  })

  it('keeps recent trades with the retracted ones dropped', async () => {
    const s = await server()
    const client = connect(s.url, options)
    cleanups.push(() => client.close())
    const recent = recentItems('trades', 10)
    client.subscribe('trades', { tokens: ['*'] }, (e) => recent.apply(e))
    await waitFor(() => client.state() === 'connected')
    const [t1, t2, t3] = [trade(A), trade(A), trade(A)]
    await waitFor(async () => (await s.app.bus.lastSeq('trades')) >= 0 && s.gateway.hub.subscriberCount('trades') === 1)
    await publishItems(s.app, 'trades', [t1, t2])
    await publishItems(s.app, 'trades', [t3])
    await waitFor(() => recent.items().length === 3)
    expect(recent.items().map((t) => t.txHash)).toEqual([t3.txHash, t2.txHash, t1.txHash])
    await publishReorg(s.app, 'trades', 100, 100, [t2.txHash])
    await waitFor(() => recent.items().length === 2)
    expect(recent.items().map((t) => t.txHash)).toEqual([t3.txHash, t1.txHash])
  })

  it('sends a subscribe made in a connected listener once, presents its token first, and says when it was accepted', async () => {
    const s = await server({ JWT_SECRET: SECRET })
    const proxy = await proxyTo(s.port)
    const token = await hsToken({ tier: 'premium' })
    const urls: string[] = []
    const client = connect(() => (urls.push('proxy'), `ws://127.0.0.1:${proxy.port}`), { ...options, token })
    cleanups.push(() => client.close())
    const log: string[] = []
    client.on('authenticated', (a) => log.push(`authenticated ${a.tier}`))
    let subscription: ReturnType<MemeClient['subscribe']> | null = null
    client.on('connected', () => {
      log.push('connected')
      subscription ??= client.subscribe('alerts', { types: ['whale'] }, (e) => log.push(e.type === 'subscribed' ? `subscribed ${String(e.resumed)} ${e.params.types.join()}` : e.type))
    })
    await waitFor(() => log.includes('subscribed null whale'))
    proxy.cutAll()
    await waitFor(() => log.includes('subscribed true whale'))
    // whale alerts are premium: the token was accepted before each subscribe went out, which went out once.
    expect(log).toEqual(['connected', 'authenticated premium', 'subscribed null whale', 'connected', 'authenticated premium', 'subscribed true whale'])
    expect(urls).toEqual(['proxy', 'proxy'])
  })

  it('removes entries with unsubscribe(channel, params): the rest streams on, also after a reconnect', async () => {
    const s = await server()
    const proxy = await proxyTo(s.port)
    const B = getAddress('0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb')
    const client = connect(`ws://127.0.0.1:${proxy.port}`, options)
    cleanups.push(() => client.close())
    const got: string[] = []
    let subscribedCount = 0
    client.subscribe('trades', { tokens: [A, B] }, (e) => {
      if (e.type === 'subscribed') subscribedCount++
      if (e.type === 'data') got.push(...e.items.map((t) => t.tokenAddress))
    })
    await waitFor(() => subscribedCount === 1)
    await client.unsubscribe('trades', { tokens: [A] })
    const [ta, tb] = [trade(A), trade(B)]
    await publishItems(s.app, 'trades', [ta])
    await publishItems(s.app, 'trades', [tb])
    await waitFor(() => got.length === 1)
    proxy.cutAll()
    await waitFor(() => subscribedCount === 2)
    await publishItems(s.app, 'trades', [trade(A)])
    await publishItems(s.app, 'trades', [trade(B)])
    await waitFor(() => got.length === 2)
    expect(got).toEqual([B, B])
  })

  it('lets a handler subscribe its own channel while it is told an event, and tells that event once', async () => {
    const s = await server()
    const client = connect(s.url, options)
    cleanups.push(() => client.close())
    const told: string[] = []
    let second = false
    client.subscribe('trades', { tokens: [A] }, (e) => {
      told.push(`first ${e.type}`)
      if (e.type !== 'data' || second) return
      second = true
      client.subscribe('trades', {}, (e2) => told.push(`second ${e2.type}`))
    })
    await waitFor(() => told.includes('first subscribed'))
    await publishItems(s.app, 'trades', [trade(A)])
    await waitFor(() => told.includes('first data'))
    await publishItems(s.app, 'trades', [trade(A)])
    await waitFor(() => told.filter((t) => t.endsWith('data')).length === 3)
    expect(told).toEqual(['first subscribed', 'first data', 'first data', 'second data'])
  })

  it('stops presenting a token after auth(null)', async () => {
    const s = await server({ JWT_SECRET: SECRET })
    const proxy = await proxyTo(s.port)
    const client = connect(`ws://127.0.0.1:${proxy.port}`, options)
    cleanups.push(() => client.close())
    const log: string[] = []
    client.on('authenticated', (a) => log.push(`authenticated ${a.tier}`))
    client.on('connected', (c) => log.push(`connected ${c.tier ?? ''}`))
    await waitFor(() => client.state() === 'connected')
    expect(await client.auth(await hsToken({ tier: 'premium' }))).toMatchObject({ type: 'authenticated', tier: 'premium' })
    proxy.cutAll()
    await waitFor(() => log.length === 4)
    expect(await client.auth(null)).toBeNull()
    proxy.cutAll()
    await waitFor(() => log.length === 5)
    await client.subscribe('tokens', {})[Symbol.asyncIterator]().next() // a round trip after the connect: an auth would have been answered first
    expect(log).toEqual(['connected free', 'authenticated premium', 'connected free', 'authenticated premium', 'connected free'])
  })

  it('subscribes a channel once its params select something, and never sends them empty', async () => {
    const s = await server()
    const proxy = await proxyTo(s.port)
    const client = connect(`ws://127.0.0.1:${proxy.port}`, options)
    cleanups.push(() => client.close())
    const told: string[] = []
    const trades = client.subscribe('trades', { tokens: [] }, (e) => told.push(e.type === 'subscribed' ? `subscribed ${e.params.tokens.join()} ${String(e.resumed)}` : e.type === 'data' ? `data ${e.seq}` : e.type))
    await waitFor(() => client.state() === 'connected')
    trades.add({ tokens: [A] })
    await waitFor(() => told.length === 1)
    await publishItems(s.app, 'trades', [trade(A)])
    await waitFor(() => told.length === 2)
    await client.unsubscribe('trades', { tokens: [A] }) // the server drops the channel: nothing left
    await publishItems(s.app, 'trades', [trade(A)])
    // Recorded, not polled: a quick reconnect can pass through `reconnecting` between two polls.
    const states: string[] = []
    client.on('state', (st) => states.push(st))
    proxy.cutAll()
    await waitFor(() => states.includes('reconnecting') && states.at(-1) === 'connected')
    trades.add({ tokens: [A] }) // resumes after seq 1: the trade published meanwhile comes
    await waitFor(() => told.length === 4)
    expect(told).toEqual([`subscribed ${A} null`, 'data 1', `subscribed ${A} true`, 'data 2'])
  })
})
