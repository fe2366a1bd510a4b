import type { Browser, Page, WebSocketRoute } from 'playwright-core'
import { parseEther, type Address } from 'viem'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startDevnet, type DevnetFixture } from '../support/devnet.js'
import { startTestServer, type TestServer } from '../support/server.js'
import { hsToken, nowSec, SECRET } from '../security/support.js'
import type { Received } from '../support/wsClient.js'
import { lastSubscribe, launchChromium, recordPage, WAIT, type SocketLog } from './support.js'

const FREE_TIER = 'free tier: all trades and whale/rug alerts need a premium token (showing the trades of the listed tokens, and price and volume alerts)'

let devnet: DevnetFixture
let server: TestServer
let browser: Browser
let base: string
const pages: Page[] = []

beforeAll(async () => {
  devnet = await startDevnet()
  // Premium tokens expire exactly at `exp` (no clock tolerance), so that a test can watch one expire.
  server = await startTestServer({ CORE_NETWORK: 'devnet', DEVNET_FILE: devnet.deploymentFile, CHECKPOINT_FILE: `${devnet.dir}/checkpoint.json`, JWT_SECRET: SECRET, JWT_CLOCK_TOLERANCE_SEC: '0' })
  base = `http://127.0.0.1:${server.port}/`
  browser = await launchChromium()
})

afterEach(async () => {
  await Promise.all(pages.splice(0).map((p) => p.close()))
})

afterAll(async () => {
  await browser?.close()
  await server?.stop()
  await devnet?.stop()
})

/** Opens the dashboard (with `?token=` when given) and waits until its subscriptions are answered. */
async function open(token?: string): Promise<{ page: Page; sockets: SocketLog[]; errors: string[]; requests: { url: string; headers: Record<string, string> }[] }> {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
  pages.push(page)
  const recorded = recordPage(page)
  const requests: { url: string; headers: Record<string, string> }[] = []
  page.on('request', (request) => void request.allHeaders().then((headers) => requests.push({ url: request.url(), headers })))
  await page.goto(token === undefined ? base : `${base}?token=${token}`)
  await page.waitForSelector('#status[data-state="connected"]', WAIT)
  return { page, ...recorded, requests }
}

let launches = 0
async function launch(): Promise<{ token: Address; symbol: string }> {
  const symbol = `AUTH${++launches}`
  const { token } = await devnet.actions.launchToken({
    wallet: devnet.wallets[0]!,
    name: `Auth test ${launches}`,
    symbol,
    supply: parseEther('1000000'),
    liquidityCore: parseEther('100'),
    liquidityTokens: parseEther('500000'),
  })
  return { token, symbol }
}

const buy = async (token: Address, core: string) => (await devnet.actions.buy({ wallet: devnet.wallets[1]!, token, amountCore: parseEther(core) })).txHashes.at(-1)!
const text = (page: Page, selector: string) => page.locator(selector).textContent()
/** The cells of the trades table, row by row. */
const tradeCells = (page: Page) => page.locator('#trades tr').evaluateAll((rows) => rows.map((r) => [...r.children].map((c) => c.textContent)))
/** Frames of one kind the page sent. */
const sentOf = (socket: SocketLog, type: string, channel: string) => socket.sent.filter((m) => m.type === type && m['channel'] === channel)

describe('dashboard on a server with JWT', () => {
  it('works in the free tier without a token: says so, follows the listed tokens, gets price alerts only', async () => {
    const { page, sockets, errors } = await open()
    expect(await text(page, '#tier')).toBe('free')
    expect(await page.locator('#tier-box').isVisible()).toBe(true)
    expect(await text(page, '#tier-notice')).toBe(FREE_TIER)
    expect(await page.locator('#tier-notice').isVisible()).toBe(true)
    // Alert types "*" are the free types for a free connection: the server says which, the page shows them.
    const socket = sockets[0]!
    expect(lastSubscribe(socket, 'alerts').reply).toMatchObject({ type: 'subscribed', params: { types: ['price', 'volume'] } })
    expect(await text(page, '#alert-types')).toBe('price · volume')

    const { token, symbol } = await launch()
    await page.locator(`#tokens tr`, { hasText: symbol }).waitFor(WAIT)
    // The launch put the token in the list; the page follows its trades (and its price).
    await expect.poll(() => lastSubscribe(socket, 'trades').reply, WAIT).toMatchObject({ type: 'subscribed', params: { tokens: expect.arrayContaining([token]) } })
    const hash = await buy(token, '20')
    await page.locator(`#trades tr[data-tx="${hash}"]`).waitFor(WAIT)
    const [cells] = await tradeCells(page)
    expect(cells!.slice(1, 5)).toEqual([symbol, 'buy', expect.stringMatching(/^\d/), '20'])
    expect(cells!.at(-2)).toBe(`${devnet.wallets[1]!.address.slice(0, 6)}…${devnet.wallets[1]!.address.slice(-4)}`)
    expect(await page.locator('#trades tr').count()).toBe(1)
    // 20 CORE into a 100 CORE pool: a price alert (free) and a whale alert (premium) for the same trade.
    await page.locator('#alerts li[data-type="price"]', { hasText: symbol }).waitFor(WAIT)
    expect(await page.locator('#alerts li[data-type="whale"]').count()).toBe(0)

    // It never asked for what a free connection cannot have ("*"), so nothing was refused.
    expect(sentOf(socket, 'subscribe', 'trades').flatMap((m) => (m['params'] as { tokens: string[] }).tokens)).not.toContain('*')
    expect(socket.received.filter((m) => m.type === 'error')).toEqual([])
    expect(sockets).toHaveLength(1)
    expect(errors).toEqual([])
  })

  it('with ?token=<premium JWT>: puts it on the WebSocket URL, shows premium, gets every trade and whale alerts', async () => {
    const exp = nowSec() + 3600
    const jwt = await hsToken({ tier: 'premium', exp })
    const { page, sockets, errors, requests } = await open(jwt)
    const socket = sockets[0]!
    expect(socket.url).toBe(`ws://127.0.0.1:${server.port}/?token=${jwt}`)
    const until = await page.evaluate((s) => new Date(s * 1000).toTimeString().slice(0, 8), exp)
    expect(await text(page, '#tier')).toBe(`premium · until ${until}`)
    expect(await page.locator('#tier-notice').isHidden()).toBe(true)
    expect(await text(page, '#alert-types')).toBe('')
    expect(lastSubscribe(socket, 'trades')).toMatchObject({ params: { tokens: ['*'] }, reply: { type: 'subscribed', params: { tokens: ['*'] } } })

    const { token, symbol } = await launch()
    const hash = await buy(token, '20')
    await page.locator(`#trades tr[data-tx="${hash}"]`).waitFor(WAIT)
    await page.locator('#alerts li[data-type="whale"]', { hasText: symbol }).waitFor(WAIT)
    // The trade came through "*": the page never named the token on `trades`.
    expect(sentOf(socket, 'subscribe', 'trades').map((m) => m['params'])).toEqual([{ tokens: ['*'] }])
    expect(socket.received.filter((m) => m.type === 'error')).toEqual([])

    // The token is on the upgrade URL only: not in the page, not in a Referer of the page's requests.
    expect(await page.content()).not.toContain(jwt)
    expect(requests.filter((r) => r.url.endsWith('/health')).length).toBeGreaterThan(0)
    expect(requests.filter((r) => r.url !== page.url() && JSON.stringify(r).includes(jwt))).toEqual([])
    expect(sockets).toHaveLength(1)
    expect(errors).toEqual([])
  })

  it('says so when the premium token expires and keeps streaming as free on the same connection', async () => {
    const jwt = await hsToken({ tier: 'premium', exp: nowSec() + 4 })
    const { page, sockets, errors } = await open(jwt)
    const socket = sockets[0]!
    expect(await text(page, '#tier')).toMatch(/^premium · until /)
    const { token, symbol } = await launch()
    await page.locator(`#tokens tr`, { hasText: symbol }).waitFor(WAIT)

    await page.waitForSelector('#tier[data-tier="free"]', WAIT)
    expect(await text(page, '#tier')).toBe('free')
    expect(await text(page, '#notice')).toBe('the premium token expired: continuing as free')
    expect(await text(page, '#tier-notice')).toBe(`premium token expired — ${FREE_TIER}`)
    expect(socket.received.filter((m) => m.type === 'error').map((m) => m['code'])).toEqual(['token_expired'])
    // The server took "*" off trades and whale/rug off alerts; the page follows the listed tokens from
    // where its trades stream was (since: nothing in between is lost).
    const notices = socket.received.filter((m) => m.type === 'unsubscribed' && m['id'] === undefined)
    expect(notices).toHaveLength(2)
    expect(notices).toEqual(expect.arrayContaining([
      { type: 'unsubscribed', channel: 'trades' },
      { type: 'unsubscribed', channel: 'alerts', params: { types: ['price', 'volume'], tokens: [] } },
    ]))
    const resume = sentOf(socket, 'subscribe', 'trades').find((m) => (m['params'] as { since?: number }).since !== undefined)
    expect(resume?.['params']).toEqual({ tokens: expect.not.arrayContaining(['*']), since: expect.any(Number) })
    await expect.poll(() => socket.received.find((m) => m['id'] === resume!['id']), WAIT).toMatchObject({ type: 'subscribed', resumed: true })
    // The token it lists (from its launch, before or after the expiry) is followed on trades.
    await expect.poll(() => lastSubscribe(socket, 'trades').reply, WAIT).toMatchObject({ type: 'subscribed', params: { tokens: expect.arrayContaining([token]) } })
    expect(await text(page, '#alert-types')).toBe('price · volume')

    const hash = await buy(token, '1')
    await page.locator(`#trades tr[data-tx="${hash}"]`).waitFor(WAIT)
    expect(await page.locator(`#trades tr[data-tx="${hash}"] .side`).textContent()).toBe('buy')
    expect(await text(page, '#status')).toBe('connected')
    expect(sockets).toHaveLength(1)
    expect(errors).toEqual([])
  })

  it('carries on as free when the server refuses the token on the upgrade (expired before the page opened)', async () => {
    const jwt = await hsToken({ tier: 'premium', exp: nowSec() - 60 })
    const { page, sockets, errors } = await open(jwt)
    // The upgrade with the token was refused (401); the next connection presented it in an `auth` message.
    expect(sockets[0]!.url).toBe(`ws://127.0.0.1:${server.port}/?token=${jwt}`)
    const socket = sockets.at(-1)!
    expect(socket.url).toBe(`ws://127.0.0.1:${server.port}/`)
    expect(socket.received.find((m) => m.type === 'error')).toMatchObject({ code: 'unauthorized', message: 'token expired' })
    // It had asked trades "*" hoping for premium: refused, it falls back to the listed tokens.
    expect(socket.received.filter((m) => m.type === 'error').map((m) => m['code'])).toEqual(['unauthorized', 'premium_required'])
    expect(sentOf(socket, 'subscribe', 'trades')[0]!['params']).toEqual({ tokens: ['*'] })
    await page.waitForSelector('#tier-notice:not([hidden])', WAIT)
    expect(await text(page, '#tier')).toBe('free')
    expect(await text(page, '#notice')).toBe('the token was refused: continuing as free')
    expect(await text(page, '#tier-notice')).toBe(`token refused (token expired) — ${FREE_TIER}`)
    expect(errors).toEqual([])
  })

  it('presents the token in an auth message when a connection with it on the URL failed, and puts it back on the URL once accepted', async () => {
    const exp = nowSec() + 3600
    const jwt = await hsToken({ tier: 'premium', exp })
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
    pages.push(page)
    const { errors } = recordPage(page)
    // Every connection of the page goes through the test, which logs its frames; the first one fails
    // before the server's `connected` (as an unreachable server, or a refused upgrade, would).
    const routed: (SocketLog & { route: WebSocketRoute })[] = []
    await page.routeWebSocket(/^ws:/, (ws) => {
      const log = { url: ws.url(), sent: [] as Received[], received: [] as Received[], route: ws }
      routed.push(log)
      if (routed.length === 1) return void ws.close()
      const upstream = ws.connectToServer()
      ws.onMessage((m) => {
        log.sent.push(JSON.parse(String(m)) as Received)
        upstream.send(m)
      })
      upstream.onMessage((m) => {
        log.received.push(JSON.parse(String(m)) as Received)
        ws.send(m)
      })
    })
    await page.goto(`${base}?token=${jwt}`)
    await page.waitForSelector('#status[data-state="connected"]', WAIT)
    const withToken = `ws://127.0.0.1:${server.port}/?token=${jwt}`
    expect(routed.map((r) => r.url)).toEqual([withToken, `ws://127.0.0.1:${server.port}/`])
    const byMessage = routed[1]!
    // The token went first, before the subscriptions: trades "*" was accepted.
    expect(byMessage.sent[0]).toMatchObject({ type: 'auth', token: jwt })
    expect(byMessage.received.find((m) => m.type === 'authenticated')).toMatchObject({ tier: 'premium', expiresAt: exp })
    expect(lastSubscribe(byMessage, 'trades')).toMatchObject({ params: { tokens: ['*'] }, reply: { type: 'subscribed', params: { tokens: ['*'] } } })
    expect(byMessage.received.filter((m) => m.type === 'error')).toEqual([])
    const until = await page.evaluate((s) => new Date(s * 1000).toTimeString().slice(0, 8), exp)
    expect(await text(page, '#tier')).toBe(`premium · until ${until}`)
    expect(await page.locator('#tier-notice').isHidden()).toBe(true)

    // Accepted: the next connection carries it on its URL again, and its `connected` states premium.
    await byMessage.route.close()
    await expect.poll(() => routed[2]?.received.find((m) => m.type === 'subscribed' && m['channel'] === 'trades'), WAIT).toMatchObject({ params: { tokens: ['*'] } })
    expect(routed[2]!.url).toBe(withToken)
    expect(routed[2]!.received[0]).toMatchObject({ type: 'connected', tier: 'premium', expiresAt: exp })
    await page.waitForSelector('#status[data-state="connected"]', WAIT)
    expect(await text(page, '#tier')).toBe(`premium · until ${until}`)
    expect(errors).toEqual([])
  })

  it('free tier: takes a token that left the prices table off prices and trades, keeping both streams', async () => {
    const { page, sockets, errors } = await open()
    const socket = sockets[0]!
    // Enough launches to fill the table (24 rows) and push the quietest tokens out; 4 wallets launch in parallel.
    const launched = (await Promise.all([0, 1, 2, 3].map(async (w) => {
      const tokens: Address[] = []
      for (let i = 0; i < 7; i++) {
        const symbol = `EVICT${w}x${i}`
        tokens.push((await devnet.actions.launchToken({ wallet: devnet.wallets[w]!, name: symbol, symbol, supply: parseEther('1000000'), liquidityCore: parseEther('10'), liquidityTokens: parseEther('500000') })).token)
      }
      return tokens
    }))).flat()
    await expect.poll(() => sentOf(socket, 'unsubscribe', 'trades').length, { timeout: 20_000 }).toBeGreaterThan(0)
    // Removed from both channels by a partial unsubscribe (naming the tokens): neither channel is left.
    const [removed] = sentOf(socket, 'unsubscribe', 'prices')
    expect(removed?.['params']).toEqual({ tokens: expect.any(Array) })
    expect(sentOf(socket, 'unsubscribe', 'trades')[0]!['params']).toEqual(removed!['params'])
    const gone = (removed!['params'] as { tokens: string[] }).tokens
    await expect.poll(() => socket.received.find((m) => m.type === 'unsubscribed' && m['id'] === removed!['id']), WAIT).toMatchObject({ channel: 'prices', params: { tokens: expect.not.arrayContaining(gone) } })
    expect(socket.sent.filter((m) => m.type === 'unsubscribe' && m['params'] === undefined)).toEqual([])
    await expect.poll(() => page.locator('#prices tr').count(), WAIT).toBe(24)

    // The trades stream goes on for a token still shown.
    const shown = launched.at(-1)!
    await expect.poll(() => lastSubscribe(socket, 'trades').reply, WAIT).toMatchObject({ params: { tokens: expect.arrayContaining([shown]) } })
    const hash = await buy(shown, '1')
    await page.locator(`#trades tr[data-tx="${hash}"]`).waitFor(WAIT)
    expect(socket.received.filter((m) => m.type === 'error')).toEqual([])
    expect(errors).toEqual([])
  })
})
