import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseAbi, parseEther, type Address } from 'viem'
import type { AlertItem, RiskItem, TokenItem } from '../../src/protocol/items.js'
import { DEAD_ADDRESS } from '../../src/devnet/actions.js'
import { startDevnet, type DevnetFixture } from '../support/devnet.js'
import { startTestServer, type TestServer } from '../support/server.js'
import { subscribe, type Received, type TestClient } from '../support/wsClient.js'

/**
 * Launch risk on a real chain: each case the simulator plays (snipers and a bundle, insiders, a tax
 * token, a honeypot, an LP burn, a creator pulling its LP) is launched on anvil, and the figures the
 * server publishes are compared with what the test reads from the chain itself (`balanceOf`,
 * `totalSupply` at the block the figures are as of).
 */
let devnet: DevnetFixture
let server: TestServer
const open: TestClient[] = []
const SNIPER_BLOCKS = 10

beforeAll(async () => {
  devnet = await startDevnet({ wallets: 8 })
  server = await startTestServer({
    CORE_NETWORK: 'devnet',
    DEVNET_FILE: devnet.deploymentFile,
    CHECKPOINT_FILE: `${devnet.dir}/checkpoint.json`,
    SNIPER_BLOCKS: String(SNIPER_BLOCKS),
    ALERT_RISK_SNIPER_PERCENT: '90',
  })
})
afterAll(async () => {
  await Promise.all(open.map((c) => c.close()))
  await server?.stop()
  await devnet?.stop()
})

const erc20 = parseAbi(['function balanceOf(address) view returns (uint256)', 'function totalSupply() view returns (uint256)'])
const w = (i: number) => devnet.wallets[i]!
const isData = (m: Received) => m.type === 'data'
let launches = 0

async function mineBlock() {
  await w(7).client.request({ method: 'evm_mine' as never, params: [] as never })
}

/** The server's figures of a token once its indexer has processed `block`. */
async function riskAt(token: Address, block: bigint): Promise<RiskItem> {
  let item: RiskItem | undefined
  await expect
    .poll(
      async () => {
        // Processed first, then the figures: they are committed before the block counts as processed.
        const processed = (await chainProcessed()) ?? 0
        const texts = (await server.app.state.risk([token])).items
        item = texts[0] ? (JSON.parse(texts[0]) as RiskItem) : undefined
        return processed >= Number(block) && item !== undefined
      },
      { timeout: 20_000 },
    )
    .toBe(true)
  return item!
}

async function chainProcessed(): Promise<number | null> {
  const health = (await (await fetch(`http://127.0.0.1:${server.port}/health`)).json()) as { chain?: { processed: number | null } }
  return health.chain?.processed ?? null
}

const percentOf = (part: bigint, whole: bigint) => Number((part * 1_000_000n) / whole) / 10_000

async function read(address: Address, fn: 'balanceOf' | 'totalSupply', block: bigint, owner?: Address): Promise<bigint> {
  const client = w(0).client
  return fn === 'totalSupply'
    ? client.readContract({ address, abi: erc20, functionName: 'totalSupply', blockNumber: block })
    : client.readContract({ address, abi: erc20, functionName: 'balanceOf', args: [owner!], blockNumber: block })
}

/** Share of the supply `owners` hold at `block`, as the chain says. */
async function shareOf(token: Address, owners: readonly Address[], block: bigint): Promise<number> {
  const [supply, ...balances] = await Promise.all([read(token, 'totalSupply', block), ...owners.map((o) => read(token, 'balanceOf', block, o))])
  return percentOf(balances.reduce((a, b) => a + b, 0n), supply)
}

describe('launch risk, against the chain', () => {
  it('counts snipers, a bundle and insiders, with their shares, the creator’s share and the holders', async () => {
    const tokens = await subscribe(server.url, 'tokens', {}, open)
    const symbol = `RSK${++launches}`
    const launched = await devnet.actions.launchToken({
      wallet: w(0),
      name: 'Risky',
      symbol,
      supply: parseEther('1000000'),
      liquidityCore: parseEther('100'),
      liquidityTokens: parseEther('600000'),
      insiders: [{ address: w(5).address, amount: parseEther('50000') }],
      bundle: { recipients: [w(3).address, w(4).address], amountCore: parseEther('2') },
      snipes: [{ wallet: w(1), amountCore: parseEther('1') }, { wallet: w(2), amountCore: parseEther('1') }],
    })
    const { token, pair } = launched
    const trades = [launched.bundle!, ...launched.snipes]
    const last = trades.reduce((a, t) => (t.blockNumber > a ? t.blockNumber : a), launched.liquidityBlock)
    const risk = await riskAt(token, last)
    const at = BigInt(risk.blockNumber)
    expect(at).toBeGreaterThanOrEqual(last)
    const buyers = [w(1), w(2), w(3), w(4)].map((x) => x.address)
    const holders = [w(0), w(1), w(2), w(3), w(4), w(5)].map((x) => x.address)
    const balances = await Promise.all(holders.map((h) => read(token, 'balanceOf', at, h)))
    const supply = await read(token, 'totalSupply', at)
    const sorted = balances.toSorted((a, b) => (a < b ? 1 : a > b ? -1 : 0))
    expect(risk).toMatchObject({
      holders: balances.filter((b) => b > 0n).length,
      top10Percent: percentOf(sorted.slice(0, 10).reduce((a, b) => a + b, 0n), supply),
      devHeldPercent: await shareOf(token, [w(0).address], at),
      snipers: { count: 4, heldPercent: await shareOf(token, buyers, at) },
      bundles: { count: 2, heldPercent: await shareOf(token, [w(3).address, w(4).address], at) },
      insiders: { count: 1, heldPercent: await shareOf(token, [w(5).address], at) },
      buyTaxPercent: 0,
      honeypot: false,
    })
    // The launch item carried the figures of its block.
    const launch = (await tokens.next((m) => isData(m) && (m['data'] as { tokens: TokenItem[] }).tokens.some((t) => t.address === token)))['data'] as { tokens: TokenItem[] }
    const item = launch.tokens.find((t) => t.address === token)!
    expect(item.risk).toMatchObject({ blockNumber: Number(launched.liquidityBlock), devHeldPercent: await shareOf(token, [w(0).address], launched.liquidityBlock), lp: { burnedPercent: expect.any(Number) } })
    expect(item['initialLiquidityUsd']).toEqual(expect.any(Number))
    // The largest holders over HTTP: the pair first, labelled.
    const res = (await (await fetch(`http://127.0.0.1:${server.port}/tokens/${token}/holders?limit=3`)).json()) as { holders: { address: string; labels: string[] }[] }
    expect(res.holders[0]).toMatchObject({ address: pair, labels: ['pair'] })
    expect(res.holders.map((h) => h.address)).toContain(w(0).address)
  })

  it('measures a tax token’s buy and sell taxes from real trades', async () => {
    const { token } = await devnet.actions.launchToken({ wallet: w(0), name: 'Taxed', symbol: `TAX${++launches}`, supply: parseEther('1000000'), liquidityCore: parseEther('100'), liquidityTokens: parseEther('600000'), kind: 'tax', buyTaxBps: 500, sellTaxBps: 1000 })
    const bought = await devnet.actions.buy({ wallet: w(6), token, amountCore: parseEther('1') })
    const got = await devnet.actions.balanceOf(token, w(6).address)
    await devnet.actions.sell({ wallet: w(6), token, percent: 50 })
    await mineBlock()
    const head = await w(0).client.getBlockNumber({ cacheTime: 0 })
    const risk = await riskAt(token, head)
    expect(risk.buyTaxPercent).toBe(Number(((bought.amountOut - got) * 10_000n) / bought.amountOut) / 100)
    expect(risk.buyTaxPercent).toBeCloseTo(5, 1)
    expect(risk.sellTaxPercent).toBeCloseTo(10, 1)
    expect(risk.honeypot).toBe(false)
  })

  it('flags a honeypot once bought, on risk and with a risk alert', async () => {
    const alerts = await subscribe(server.url, 'alerts', { types: ['risk'] }, open)
    const { token } = await devnet.actions.launchToken({ wallet: w(0), name: 'Sticky', symbol: `HNY${++launches}`, supply: parseEther('1000000'), liquidityCore: parseEther('100'), liquidityTokens: parseEther('600000'), kind: 'honeypot', snipes: [{ wallet: w(1), amountCore: parseEther('1') }] })
    await mineBlock()
    const risk = await riskAt(token, await w(0).client.getBlockNumber({ cacheTime: 0 }))
    expect(risk.honeypot).toBe(true)
    const alert = (await alerts.next((m) => isData(m) && (m['data'] as { alerts: AlertItem[] }).alerts.some((a) => a.tokenAddress === token)))['data'] as { alerts: AlertItem[] }
    expect(alert.alerts.find((a) => a.tokenAddress === token)).toMatchObject({ type: 'risk', severity: 'critical', data: { reason: 'honeypot' } })
    // The sniper can still move its tokens between wallets: only selling is blocked.
    await devnet.actions.transfer({ wallet: w(1), token, to: w(2).address, amount: 1n })
  })

  it('follows the LP: burned to 0x…dEaD, or kept by the creator and pulled, with a risk alert', async () => {
    const alerts = await subscribe(server.url, 'alerts', { types: ['risk'] }, open)
    const burned = await devnet.actions.launchToken({ wallet: w(0), name: 'Burnt', symbol: `LPB${++launches}`, supply: parseEther('1000000'), liquidityCore: parseEther('50'), liquidityTokens: parseEther('600000') })
    await devnet.actions.burnLp({ wallet: w(0), token: burned.token, percent: 100 })
    const kept = await devnet.actions.launchToken({ wallet: w(0), name: 'Kept', symbol: `LPK${++launches}`, supply: parseEther('1000000'), liquidityCore: parseEther('50'), liquidityTokens: parseEther('600000') })
    const lpBefore = await devnet.actions.balanceOf(kept.pair, w(0).address)
    const removed = await devnet.actions.removeLiquidity({ wallet: w(0), token: kept.token, percent: 80 })
    await mineBlock()
    const head = await w(0).client.getBlockNumber({ cacheTime: 0 })
    for (const [launched, burnedTo] of [[burned, DEAD_ADDRESS], [kept, null]] as const) {
      const risk = await riskAt(launched.token, head)
      const at = BigInt(risk.blockNumber)
      const [supply, dead, zero, creator] = await Promise.all([
        read(launched.pair, 'totalSupply', at),
        read(launched.pair, 'balanceOf', at, DEAD_ADDRESS),
        read(launched.pair, 'balanceOf', at, '0x0000000000000000000000000000000000000000'),
        read(launched.pair, 'balanceOf', at, w(0).address),
      ])
      expect(risk.lp).toEqual({ burnedPercent: percentOf(dead + zero, supply), creatorPercent: percentOf(creator, supply), othersPercent: expect.any(Number) })
      if (burnedTo) expect(risk.lp!.burnedPercent).toBeGreaterThan(99)
    }
    const pulled = (await alerts.next((m) => isData(m) && (m['data'] as { alerts: AlertItem[] }).alerts.some((a) => a.tokenAddress === kept.token)))['data'] as { alerts: AlertItem[] }
    expect(pulled.alerts.find((a) => a.tokenAddress === kept.token)).toMatchObject({ type: 'risk', data: { reason: 'lp_pulled', percent: percentOf(removed.liquidity, lpBefore) } })
  })

  it('puts the figures of a launch back after a reorg, and re-sends them on risk', async () => {
    const launched = await devnet.actions.launchToken({ wallet: w(0), name: 'Forked', symbol: `FRK${++launches}`, supply: parseEther('1000000'), liquidityCore: parseEther('50'), liquidityTokens: parseEther('600000'), snipes: [{ wallet: w(1), amountCore: parseEther('1') }] })
    const { token, pair } = launched
    await mineBlock()
    const forkedAt = await w(0).client.getBlockNumber({ cacheTime: 0 })
    const before = await riskAt(token, forkedAt)
    const risk = await subscribe(server.url, 'risk', { tokens: [token] }, open)
    const snapshot = await w(0).client.request({ method: 'evm_snapshot' as never, params: [] as never })

    // On the branch that will be dropped: the creator hands tokens to a wallet, sells, and burns the LP.
    await devnet.actions.transfer({ wallet: w(0), token, to: w(6).address, amount: parseEther('100000') })
    await devnet.actions.sell({ wallet: w(0), token, percent: 50 })
    await devnet.actions.burnLp({ wallet: w(0), token, percent: 100 })
    await mineBlock()
    const orphanHead = await w(0).client.getBlockNumber({ cacheTime: 0 })
    const orphaned = await riskAt(token, orphanHead)
    expect(orphaned.devHeldPercent).toBeLessThan(before.devHeldPercent!)
    expect(orphaned.insiders!.count).toBe(before.insiders!.count + 1)
    expect(orphaned.lp!.burnedPercent).toBeGreaterThan(99)

    await w(0).client.request({ method: 'evm_revert' as never, params: [snapshot] as never })
    await w(0).client.request({ method: 'anvil_mine' as never, params: [`0x${(orphanHead - forkedAt + 2n).toString(16)}`, '0x1'] as never }) // a longer branch of empty blocks
    const newHead = await w(0).client.getBlockNumber({ cacheTime: 0 })
    const resent = (await risk.next((m) => isData(m) && !m['snapshot'] && (m['data'] as { risk: RiskItem[] }).risk.some((r) => r.tokenAddress === token && r.blockNumber === before.blockNumber), 20_000))['data'] as { risk: RiskItem[] }
    const { timestamp: _t, ...figures } = before
    expect(resent.risk.find((r) => r.tokenAddress === token)).toMatchObject(figures)
    const restored = await riskAt(token, newHead)
    expect(restored).toMatchObject(figures)
    // And they are the chain's: the creator's share and the LP as they stand on the new branch.
    const [supply, dead, creator] = await Promise.all([read(pair, 'totalSupply', newHead), read(pair, 'balanceOf', newHead, DEAD_ADDRESS), read(pair, 'balanceOf', newHead, w(0).address)])
    expect(restored.devHeldPercent).toBe(await shareOf(token, [w(0).address], newHead))
    expect(restored.lp).toMatchObject({ burnedPercent: percentOf(dead, supply), creatorPercent: percentOf(creator, supply) })
    const holders = (await (await fetch(`http://127.0.0.1:${server.port}/tokens/${token}/holders?limit=100`)).json()) as { holders: { address: string }[] }
    expect(holders.holders.map((h) => h.address)).not.toContain(w(6).address)
  })
})
