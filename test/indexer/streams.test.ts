import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { formatEther, getAddress, parseEther } from 'viem'
import { badSymbolTokenAbi, coreMemeRouterAbi } from '../../src/devnet/abis.js'
import { getBytecode } from '../../src/devnet/artifacts.js'
import { startDevnet, type DevnetFixture } from '../support/devnet.js'
import { startTestServer, type TestServer } from '../support/server.js'
import { connect, subscribe, type Received, type TestClient } from '../support/wsClient.js'

let devnet: DevnetFixture
let server: TestServer
const open: TestClient[] = []

beforeAll(async () => {
  devnet = await startDevnet()
  server = await startTestServer({ CORE_NETWORK: 'devnet', DEVNET_FILE: devnet.deploymentFile, CHECKPOINT_FILE: `${devnet.dir}/checkpoint.json` })
})
afterAll(async () => {
  await Promise.all(open.map((c) => c.close()))
  await server?.stop()
  await devnet?.stop()
})

const subscribed = (channel: string, params?: unknown) => subscribe(server.url, channel, params, open)

const data = (channel: string) => (m: Received) => m.type === 'data' && m['channel'] === channel
const itemsOf = (m: Received) => Object.values(m['data'] as Record<string, Record<string, unknown>[]>)[0]!

let launchCount = 0
async function launch(walletIndex = 0, symbol = `M${++launchCount}`) {
  const wallet = devnet.wallets[walletIndex]!
  const result = await devnet.actions.launchToken({
    wallet,
    name: `Meme ${symbol}`,
    symbol,
    supply: parseEther('1000000'),
    liquidityCore: parseEther('100'),
    liquidityTokens: parseEther('500000'),
  })
  return { ...result, wallet, symbol }
}

describe('tokens channel', () => {
  it('streams one launch with the fields the chain holds', async () => {
    const c = await subscribed('tokens')
    const launched = await launch(0, 'FROG')
    const message = await c.next(data('tokens'), 15_000)
    const receipt = await launched.wallet.client.getTransactionReceipt({ hash: launched.txHashes.at(-1)! })
    expect(itemsOf(message)).toEqual([
      {
        address: launched.token,
        name: 'Meme FROG',
        symbol: 'FROG',
        totalSupply: '1000000',
        creator: launched.wallet.address,
        pairAddress: launched.pair,
        initialLiquidity: '100',
        timestamp: expect.any(Number),
        blockNumber: Number(receipt.blockNumber),
        txHash: receipt.transactionHash,
        dex: 'CoreMemeSwap',
        decimals: 18,
        initialLiquidityUsd: expect.any(Number),
        risk: expect.objectContaining({ blockNumber: Number(receipt.blockNumber), devHeldPercent: expect.any(Number) }),
      },
    ])
    const second = await launch(1)
    const next = await c.next(data('tokens'), 15_000)
    expect(itemsOf(next).map((t) => t['address'])).toEqual([second.token])
    expect(next.seq).toBe((message.seq as number) + 1)
  })

  it('sends recent launches on subscribe with includeRecent', async () => {
    const launched = await launch(2)
    await expect.poll(async () => (JSON.parse((await server.app.state.recentTokens(1)).items[0] ?? '{}') as { address?: string }).address, { timeout: 15_000 }).toBe(launched.token)
    const c = await connect(server.url)
    open.push(c)
    c.send({ type: 'subscribe', channel: 'tokens', params: { includeRecent: true } })
    await c.next((m) => m.type === 'subscribed')
    const snapshot = await c.next()
    expect(snapshot).toMatchObject({ type: 'data', channel: 'tokens', snapshot: true })
    expect(itemsOf(snapshot)[0]).toMatchObject({ address: launched.token, symbol: launched.symbol })
  })
})

describe('trades channel', () => {
  it('streams a buy and a sell with type, amounts, price and USD value', async () => {
    const { token } = await launch()
    const trader = devnet.wallets[3]!
    const c = await subscribed('trades', { tokens: [token] })
    const buy = await devnet.actions.buy({ wallet: trader, token, amountCore: parseEther('1') })
    const [bought] = itemsOf(await c.next(data('trades'), 15_000))
    expect(bought).toMatchObject({
      txHash: buy.txHashes.at(-1),
      tokenAddress: token,
      trader: trader.address,
      type: 'buy',
      amountCore: '1',
      amountToken: formatEther(buy.amountOut),
      dex: 'CoreMemeSwap',
      blockNumber: expect.any(Number),
      logIndex: expect.any(Number),
    })
    expect(bought!['price']).toBeCloseTo(1 / Number(formatEther(buy.amountOut)), 12)
    expect(bought!['valueUsd']).toBeCloseTo(1, 2)
    expect(bought!['priceUsd']).toBeCloseTo(bought!['price'] as number, 6)

    const sell = await devnet.actions.sell({ wallet: trader, token, amountTokens: buy.amountOut / 2n })
    const [sold] = itemsOf(await c.next(data('trades'), 15_000))
    expect(sold).toMatchObject({ type: 'sell', amountToken: formatEther(buy.amountOut / 2n), amountCore: formatEther(sell.amountOut), trader: trader.address })
  })

  it('filters by token, and "*" gets every trade', async () => {
    const a = await launch()
    const b = await launch()
    const onlyA = await subscribed('trades', { tokens: [a.token.toLowerCase()] })
    const all = await subscribed('trades', { tokens: ['*'] })
    await devnet.actions.buy({ wallet: devnet.wallets[1]!, token: b.token, amountCore: parseEther('0.5') })
    await devnet.actions.buy({ wallet: devnet.wallets[1]!, token: a.token, amountCore: parseEther('0.5') })
    const gotAll = [itemsOf(await all.next(data('trades'), 15_000)), itemsOf(await all.next(data('trades'), 15_000))].flat()
    expect(gotAll.map((t) => t['tokenAddress'])).toEqual([b.token, a.token])
    const gotA = await onlyA.next(data('trades'), 15_000)
    expect(itemsOf(gotA).map((t) => t['tokenAddress'])).toEqual([a.token])
    expect(onlyA.pending().filter(data('trades'))).toEqual([])
  })

  it('still streams a token whose name() and symbol() revert', async () => {
    const wallet = devnet.wallets[0]!
    const tokens = await subscribed('tokens')
    const hash = await wallet.client.deployContract({ abi: badSymbolTokenAbi, bytecode: getBytecode('BadSymbolToken'), args: [parseEther('1000')] })
    const { contractAddress } = await wallet.client.waitForTransactionReceipt({ hash })
    const token = getAddress(contractAddress!)
    await wallet.client.waitForTransactionReceipt({ hash: await wallet.client.writeContract({ address: token, abi: badSymbolTokenAbi, functionName: 'approve', args: [devnet.deployment.router, parseEther('1000')] }) })
    const deadline = BigInt(Math.floor(Date.now() / 1000) + 600)
    await wallet.client.waitForTransactionReceipt({
      hash: await wallet.client.writeContract({ address: devnet.deployment.router, abi: coreMemeRouterAbi, functionName: 'addLiquidityETH', args: [token, parseEther('500'), 0n, 0n, wallet.address, deadline], value: parseEther('10') }),
    })
    const [launched] = itemsOf(await tokens.next(data('tokens'), 15_000))
    expect(launched).toMatchObject({ address: token, name: null, symbol: null, totalSupply: '1000', initialLiquidity: '10' })
    const trades = await subscribed('trades', { tokens: [token] })
    await devnet.actions.buy({ wallet: devnet.wallets[2]!, token, amountCore: parseEther('1') })
    const [trade] = itemsOf(await trades.next(data('trades'), 15_000))
    expect(trade).toMatchObject({ tokenAddress: token, tokenSymbol: null, type: 'buy', amountCore: '1' })
  })
})
