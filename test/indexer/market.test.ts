import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { formatEther, parseEther, type Address } from 'viem'
import { coreMemePairAbi } from '../../src/devnet/abis.js'
import { startDevnet, type DevnetFixture } from '../support/devnet.js'
import { startTestServer, type TestServer } from '../support/server.js'
import { connect, subscribe, type Received, type TestClient } from '../support/wsClient.js'

let devnet: DevnetFixture
let server: TestServer
const open: TestClient[] = []

beforeAll(async () => {
  devnet = await startDevnet()
  server = await startTestServer({
    CORE_NETWORK: 'devnet',
    DEVNET_FILE: devnet.deploymentFile,
    CHECKPOINT_FILE: `${devnet.dir}/checkpoint.json`,
    ALERT_WHALE_USD: '100',
    ALERT_WHALE_POOL_PERCENT: '50',
  })
})
afterAll(async () => {
  await Promise.all(open.map((c) => c.close()))
  await server?.stop()
  await devnet?.stop()
})

const subscribed = (channel: string, params?: unknown) => subscribe(server.url, channel, params, open)

const isData = (m: Received) => m.type === 'data'
const itemsOf = (m: Received) => Object.values(m['data'] as Record<string, Record<string, unknown>[]>)[0]!
const creator = () => devnet.wallets[0]!
const trader = () => devnet.wallets[1]!
let launches = 0

async function launch(liquidityCore: string) {
  const symbol = `MK${++launches}`
  return devnet.actions.launchToken({ wallet: creator(), name: `Market ${symbol}`, symbol, supply: parseEther('1000000'), liquidityCore: parseEther(liquidityCore), liquidityTokens: parseEther('500000') })
}

/** The token's price (CORE) and CORE reserve straight from the pair contract. */
async function reservesOf(pair: Address, token: Address) {
  const client = creator().client
  const [[r0, r1], token0] = await Promise.all([
    client.readContract({ address: pair, abi: coreMemePairAbi, functionName: 'getReserves' }),
    client.readContract({ address: pair, abi: coreMemePairAbi, functionName: 'token0' }),
  ])
  const [tokenRaw, coreRaw] = token0 === token ? [r0, r1] : [r1, r0]
  return { priceCore: Number(formatEther(coreRaw)) / Number(formatEther(tokenRaw)), core: Number(formatEther(coreRaw)) }
}

describe('prices', () => {
  it('sends a snapshot on subscribe and updates after swaps that match the chain reserves', async () => {
    const { token, pair } = await launch('1000')
    await expect.poll(async () => (await server.app.state.prices([token])).items.length, { timeout: 15_000 }).toBe(1)
    const c = await connect(server.url)
    open.push(c)
    c.send({ type: 'subscribe', channel: 'prices', params: { tokens: [token] } })
    await c.next((m) => m.type === 'subscribed')
    const snapshot = await c.next()
    expect(snapshot).toMatchObject({ type: 'data', channel: 'prices', snapshot: true })
    const initial = await reservesOf(pair, token)
    const [first] = itemsOf(snapshot)
    expect(first).toMatchObject({ tokenAddress: token, symbol: 'MK1', buys24h: 0, sells24h: 0, volume24h: 0, priceChange24h: 0 })
    expect(first!['priceCore']).toBeCloseTo(initial.priceCore, 12)
    expect(first!['price']).toBeCloseTo(initial.priceCore * 1, 12)
    expect(first!['liquidity']).toBeCloseTo(2 * initial.core, 6)
    expect(first!['marketCap']).toBeCloseTo(initial.priceCore * 1_000_000, 6)

    await devnet.actions.buy({ wallet: trader(), token, amountCore: parseEther('10') })
    const [update] = itemsOf(await c.next(isData, 15_000))
    const after = await reservesOf(pair, token)
    expect(update).toMatchObject({ tokenAddress: token, buys24h: 1, sells24h: 0, timestamp: expect.any(Number) })
    expect(update!['priceCore']).toBeCloseTo(after.priceCore, 12)
    expect(update!['volume24h']).toBeCloseTo(10, 6)
    expect(update!['volume5m']).toBeCloseTo(10, 6)
    expect(update!['liquidity']).toBeCloseTo(2 * after.core, 6)
    expect(update!['priceChange24h']).toBeCloseTo(((after.priceCore - initial.priceCore) / initial.priceCore) * 100, 6)
  })
})

/** The market's alert types (`risk` alerts have their own tests: test/indexer/launchRisk.test.ts). */
const MARKET_ALERTS = ['price', 'volume', 'whale', 'rug']

describe('alerts', () => {
  it('sends exactly one whale alert, with the trade value, for a whale buy', async () => {
    const { token } = await launch('100000')
    const c = await subscribed('alerts', { types: MARKET_ALERTS, tokens: [token] })
    await devnet.actions.buy({ wallet: trader(), token, amountCore: parseEther('1') })
    const whale = await devnet.actions.buy({ wallet: trader(), token, amountCore: parseEther('150') })
    const message = await c.next(isData, 15_000)
    const alerts = itemsOf(message)
    expect(alerts).toHaveLength(1)
    expect(alerts[0]).toMatchObject({
      id: expect.stringMatching(new RegExp(`^whale:${whale.txHashes.at(-1)}:\\d+$`)),
      type: 'whale',
      tokenAddress: token,
      title: expect.stringMatching(/^Whale Alert: MK\d+$/),
      message: expect.stringMatching(/^Whale buy: \$150 of MK\d+$/),
      severity: 'warning',
    })
    expect(alerts[0]!['data']).toMatchObject({ walletAddress: trader().address, action: 'buy', txHash: whale.txHashes.at(-1), amount: Number(formatEther(whale.amountOut)) })
    expect((alerts[0]!['data'] as { valueUsd: number }).valueUsd).toBeCloseTo(150, 6)
  })

  it('sends one critical rug alert when 90 % of the liquidity is removed', async () => {
    const { token } = await launch('1000')
    const c = await subscribed('alerts', { types: ['rug'], tokens: [token] })
    const rug = await devnet.actions.removeLiquidity({ wallet: creator(), token, percent: 90 })
    const alerts = itemsOf(await c.next(isData, 15_000))
    expect(alerts).toHaveLength(1)
    expect(alerts[0]).toMatchObject({ type: 'rug', severity: 'critical', tokenAddress: token, data: { action: 'remove_liquidity', walletAddress: creator().address, txHash: rug.txHashes.at(-1) } })
    expect((alerts[0]!['data'] as { percent: number }).percent).toBeCloseTo(90, 0)
  })

  it('sends one price alert for a 30 % pump within the window', async () => {
    const { token } = await launch('1000')
    const c = await subscribed('alerts', { types: MARKET_ALERTS, tokens: [token] })
    for (let i = 0; i < 6; i++) await devnet.actions.buy({ wallet: trader(), token, amountCore: parseEther('25') })
    const sentinel = await devnet.actions.removeLiquidity({ wallet: creator(), token, percent: 95 })
    const price = itemsOf(await c.next(isData, 15_000))
    expect(price).toMatchObject([{ type: 'price', severity: 'warning', tokenAddress: token, data: { direction: 'up', window: 300 } }])
    expect((price[0]!['data'] as { percent: number }).percent).toBeGreaterThanOrEqual(20)
    const rug = itemsOf(await c.next(isData, 15_000))
    expect(rug).toMatchObject([{ type: 'rug', data: { txHash: sentinel.txHashes.at(-1) } }])
  })

  it('sends no alert for normal trading', async () => {
    const { token } = await launch('1000')
    const c = await subscribed('alerts', { types: MARKET_ALERTS, tokens: [token] })
    for (let i = 0; i < 4; i++) {
      const { amountOut } = await devnet.actions.buy({ wallet: trader(), token, amountCore: parseEther('1') })
      await devnet.actions.sell({ wallet: trader(), token, amountTokens: amountOut / 2n })
    }
    const sentinel = await devnet.actions.removeLiquidity({ wallet: creator(), token, percent: 95 })
    const first = itemsOf(await c.next(isData, 15_000))
    expect(first).toMatchObject([{ type: 'rug', data: { txHash: sentinel.txHashes.at(-1) } }])
  })
})

describe('HTTP', () => {
  const get = async (path: string) => {
    const res = await fetch(`http://127.0.0.1:${server.port}${path}`)
    return { status: res.status, body: (await res.json()) as Record<string, unknown> }
  }

  it('serves recent launches with stats, a token, its trades and candles', async () => {
    const { token, pair } = await launch('500')
    const buy = await devnet.actions.buy({ wallet: trader(), token, amountCore: parseEther('2') })
    const sell = await devnet.actions.sell({ wallet: trader(), token, amountTokens: buy.amountOut / 4n })
    await expect.poll(async () => (await get(`/tokens/${token}/trades`)).body['trades'], { timeout: 15_000 }).toHaveLength(2)

    const list = await get('/tokens?limit=1')
    expect(list.status).toBe(200)
    expect(list.body['tokens']).toMatchObject([{ address: token, pairAddress: pair, stats: { tokenAddress: token, buys24h: 1, sells24h: 1 } }])

    const one = await get(`/tokens/${token.toLowerCase()}`)
    expect(one).toMatchObject({ status: 200, body: { address: token, launch: { address: token, initialLiquidity: '500' }, stats: { tokenAddress: token } } })

    const trades = await get(`/tokens/${token}/trades?limit=5`)
    expect((trades.body['trades'] as { txHash: string; type: string }[]).map((t) => [t.txHash, t.type])).toEqual([
      [sell.txHashes.at(-1), 'sell'],
      [buy.txHashes.at(-1), 'buy'],
    ])

    const candles = await get(`/tokens/${token}/candles?interval=5m`)
    expect(candles.status).toBe(200)
    const bars = candles.body['candles'] as { time: number; volume: number; trades: number; open: number; close: number }[]
    expect(bars.reduce((sum, b) => sum + b.trades, 0)).toBe(2)
    expect(bars.every((b) => b.time % 300 === 0)).toBe(true)
    expect(bars.at(-1)!.close).toBeCloseTo((await reservesOf(pair, token)).priceCore, 12)
  })

  it('answers 404 for an unknown token and 400 for a malformed address or interval', async () => {
    expect(await get(`/tokens/0x${'42'.repeat(20)}`)).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } })
    expect(await get('/tokens/0x1234')).toMatchObject({ status: 400, body: { error: { code: 'invalid_address' } } })
    const known = (JSON.parse((await server.app.state.recentTokens(1)).items[0]!) as { address: string }).address
    expect(await get(`/tokens/${known}/candles?interval=2m`)).toMatchObject({ status: 400, body: { error: { code: 'invalid_params', message: 'interval must be 1m, 5m or 1h' } } })
    expect(await get(`/tokens/${known}/trades?limit=0`)).toMatchObject({ status: 400 })
    expect(await get(`/tokens/${known}/owners`)).toMatchObject({ status: 404 })
  })
})

describe('USD prices follow CORE/USD', () => {
  it('re-sends a quiet token when CORE/USD moves by more than USD_REPRICE_PERCENT', async () => {
    const { token } = await launch('1000')
    await expect.poll(async () => (await server.app.state.prices([token])).items.length, { timeout: 15_000 }).toBe(1)
    const c = await subscribed('prices', { tokens: [token] })
    const [before] = itemsOf(await c.next((m) => m.type === 'data' && m['snapshot'] === true))
    // Buying the stablecoin with 2,000 CORE moves CORE/USD by ~4 % (a 100,000/100,000 pool); the token does not trade.
    // Last in this file: the other tests count on CORE/USD = 1.
    await devnet.actions.buy({ wallet: trader(), token: devnet.deployment.usd, amountCore: parseEther('2000') })
    const [after] = itemsOf(await c.next(isData, 15_000))
    expect(after).toMatchObject({ tokenAddress: token, priceCore: before!['priceCore'], volume24h: 0, buys24h: 0 })
    const coreUsd = ((await (await fetch(`http://127.0.0.1:${server.port}/health`)).json()) as { chain: { coreUsd: number } }).chain.coreUsd
    expect(Math.abs(coreUsd - 1)).toBeGreaterThan(0.03)
    expect(after!['price']).toBeCloseTo((before!['priceCore'] as number) * coreUsd, 12)
    expect(after!['liquidity']).toBeCloseTo((before!['liquidityCore'] as number) * coreUsd, 6)
  })
})
