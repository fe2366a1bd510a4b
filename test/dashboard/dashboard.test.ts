import { mkdir } from 'node:fs/promises'
import type { Browser, Page } from 'playwright-core'
import { parseEther, type Address } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startDevnet, type DevnetFixture } from '../support/devnet.js'
import { startTestServer, type TestServer } from '../support/server.js'
import { startTcpProxy, type TcpProxy } from '../support/tcpProxy.js'
import { connect, type Received } from '../support/wsClient.js'
import { ARTIFACTS, freePort, lastSubscribe as lastSubscribeOn, launchChromium, recordPage, WAIT, type SocketLog } from './support.js'

let devnet: DevnetFixture
let port: number
let server: TestServer
let proxy: TcpProxy
let browser: Browser | undefined
let page: Page
let token: Address
let pageErrors: string[] = []
/** The paths of the page's same-origin requests and their status, in order. */
const loaded: { path: string; status: number }[] = []
/** What the page sent and received on each of its WebSocket connections, in order. */
let sockets: SocketLog[] = []

function startServer(): Promise<TestServer> {
  return startTestServer({ CORE_NETWORK: 'devnet', DEVNET_FILE: devnet.deploymentFile, CHECKPOINT_FILE: `${devnet.dir}/checkpoint.json`, WS_PORT: String(port) })
}

const buy = async (core: string, wallet = 1) => (await devnet.actions.buy({ wallet: devnet.wallets[wallet]!, token, amountCore: parseEther(core) })).txHashes.at(-1)!
const tradeRow = (hash: string) => page.locator(`#trades tr[data-tx="${hash}"]`)
const status = (state: string) => page.waitForSelector(`#status[data-state="${state}"]`, WAIT)
/** The page's last `subscribe` to `channel` on its current connection, and the server's reply to it. */
const lastSubscribe = (channel: string) => lastSubscribeOn(sockets.at(-1)!, channel)
const rpc = (method: string, params: unknown[] = []) => devnet.wallets[0]!.client.request({ method, params } as never) as Promise<unknown>

beforeAll(async () => {
  ;[devnet, port] = await Promise.all([startDevnet(), freePort()])
  server = await startServer()
  // The page goes through a TCP proxy so that a test can cut its connection while the server runs.
  proxy = await startTcpProxy(port)
  browser = await launchChromium()
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
  ;({ sockets, errors: pageErrors } = recordPage(page))
  page.on('response', (res) => void loaded.push({ path: new URL(res.url()).pathname, status: res.status() }))
  await page.goto(`http://127.0.0.1:${proxy.port}/`)
})

afterAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true })
  await page?.screenshot({ path: `${ARTIFACTS}dashboard.png` }).catch(() => undefined)
  await browser?.close()
  await proxy?.close()
  await server?.stop()
  await devnet?.stop()
})

describe('dashboard in a browser', () => {
  it('loads the typed client the server serves and connects through it', async () => {
    await status('connected')
    // dashboard.js imports ./client/index.js, which imports the client and protocol modules.
    expect(loaded).toEqual(expect.arrayContaining([
      { path: '/dashboard.js', status: 200 },
      { path: '/client/index.js', status: 200 },
      { path: '/client/client.js', status: 200 },
      { path: '/protocol/serverMessages.js', status: 200 },
    ]))
    expect(loaded.filter((r) => r.status !== 200)).toEqual([])
    // Through it, the page subscribed its channels.
    expect(sockets[0]!.sent.filter((m) => m.type === 'subscribe').map((m) => m['channel'])).toEqual(expect.arrayContaining(['tokens', 'alerts', 'trades']))
  })

  it('shows a launch, its trades labelled buy and sell, its price, and the connection', async () => {
    await status('connected')
    const launched = await devnet.actions.launchToken({
      wallet: devnet.wallets[0]!,
      name: '<img src=x onerror="document.body.dataset.xss=1">Frog',
      symbol: 'FROG',
      supply: parseEther('1000000'),
      liquidityCore: parseEther('100'),
      liquidityTokens: parseEther('500000'),
    })
    token = launched.token
    const launchRow = page.locator('#tokens tr', { hasText: 'FROG' })
    await launchRow.waitFor(WAIT)
    expect(await launchRow.textContent()).toContain('<img src=x')
    expect(await launchRow.textContent()).toContain('100 CORE')
    expect(await page.locator('#tokens img').count()).toBe(0)

    const bought = await buy('2')
    const sold = (await devnet.actions.sell({ wallet: devnet.wallets[1]!, token, percent: 50 })).txHashes.at(-1)!
    await tradeRow(bought).waitFor(WAIT)
    await tradeRow(sold).waitFor(WAIT)
    expect(await tradeRow(bought).locator('.side').textContent()).toBe('buy')
    expect(await tradeRow(sold).locator('.side').textContent()).toBe('sell')
    // The colour comes from the side's class: green for buy, red for sell.
    expect(await tradeRow(bought).locator('.side').getAttribute('class')).toBe('side buy')
    expect(await tradeRow(sold).locator('.side').getAttribute('class')).toBe('side sell')
    expect(await tradeRow(bought).textContent()).toContain('FROG')

    const priceCell = `#prices tr[data-token="${token}"] .price`
    await page.locator(priceCell, { hasText: /\d/ }).waitFor(WAIT)
    const before = (await page.locator(priceCell).textContent())!
    await buy('20')
    await page.locator(priceCell, { hasNotText: new RegExp(`^${before.replace(/[^\w]/g, '\\$&')}$`) }).waitFor(WAIT)
    // The table subscribed `prices` for the token it shows, and the channel's 24 h change fills in.
    await expect.poll(() => lastSubscribe('prices').reply?.['params'], WAIT).toMatchObject({ tokens: expect.arrayContaining([token]) })
    await page.locator(`#prices tr[data-token="${token}"] td:nth-child(3)`, { hasText: /%$/ }).waitFor(WAIT)
    expect(await page.locator('#health').textContent()).toMatch(/^ok · up/)
    expect(await page.locator('body[data-xss]').count()).toBe(0)
  })

  it('drops the trades a reorg removed', async () => {
    const snapshot = await rpc('evm_snapshot')
    const orphan = await buy('1', 2)
    await tradeRow(orphan).waitFor(WAIT)
    await rpc('evm_revert', [snapshot])
    const replacements = [await buy('1', 3), await buy('1', 3)]
    await tradeRow(orphan).waitFor({ state: 'detached', ...WAIT })
    for (const hash of replacements) await tradeRow(hash).waitFor(WAIT)
    expect(await page.locator('#notice').textContent()).toMatch(/reorg/)
  })

  it('resumes with since after its connection drops, missing no trade', async () => {
    const watcher = await connect(server.url)
    watcher.send({ type: 'subscribe', channel: 'trades', params: { tokens: [token] } })
    await watcher.next((m) => m.type === 'subscribed')
    proxy.refuse(true)
    await status('reconnecting')
    // The client's `disconnected` event says when it tries again.
    expect(await page.locator('#status').textContent()).toMatch(/^reconnecting( in \d+s)?…$/)
    const missed = [await buy('1'), await buy('1')]
    // Both are published (the server has them in its history) before the page can reconnect.
    const seen: string[] = []
    const isTrades = (m: Received) => m.type === 'data' && m['channel'] === 'trades'
    while (!missed.every((h) => seen.includes(h))) seen.push(...((await watcher.next(isTrades, 15_000))['data'] as { trades: { txHash: string }[] }).trades.map((t) => t.txHash))
    await watcher.close()
    proxy.refuse(false)
    await status('connected')
    for (const hash of missed) await tradeRow(hash).waitFor(WAIT)
    const resumed = lastSubscribe('trades')
    // The client resubscribes with the params the server acknowledged, and `since`.
    expect(resumed.params).toMatchObject({ tokens: ['*'], since: expect.any(Number) })
    expect(resumed.reply).toMatchObject({ resumed: true })
  })

  it('reconnects to a new server on the same port and keeps streaming', async () => {
    await server.stop()
    await status('reconnecting')
    server = await startServer()
    expect(server.port).toBe(port)
    await status('connected')
    const after = await buy('1')
    await tradeRow(after).waitFor(WAIT)
    // A new process numbers its messages from 1 again: the page saw it restart and subscribed afresh.
    expect(lastSubscribe('trades').params).toMatchObject({ tokens: ['*'] })
    expect(lastSubscribe('trades').params).not.toHaveProperty('since')
    expect(await page.locator('#notice').textContent()).toMatch(/stream was renumbered/)
    expect(await page.locator('#trades tr').count()).toBeGreaterThanOrEqual(6)
    expect(pageErrors).toEqual([])
  })

  it('sends a subscribe again when the server refuses it with rate_limited', async () => {
    const strict = await startTestServer({ RATE_LIMIT_BURST: '2', RATE_LIMIT_PER_MIN: '300' })
    const other = await browser!.newPage()
    try {
      const refusals: Received[] = []
      other.on('websocket', (ws) => ws.on('framereceived', ({ payload }) => {
        const message = JSON.parse(String(payload)) as Received
        if (message['code'] === 'rate_limited') refusals.push(message)
      }))
      await other.goto(`http://127.0.0.1:${strict.port}/`)
      await other.waitForSelector('#status[data-state="connected"]', WAIT)
      expect(refusals.length).toBeGreaterThan(0)
    } finally {
      await other.close()
      await strict.stop()
    }
  })
})
