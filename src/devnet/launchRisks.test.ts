import { getEventListeners } from 'node:events'
import { getAddress, parseEther, parseEventLogs, zeroAddress, type Address, type Hash } from 'viem'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { startDevnet, type DevnetFixture } from '../../test/support/devnet.js'
import { coreMemeFactoryAbi, coreMemePairAbi, honeypotTokenAbi, memeTokenAbi, taxTokenAbi, tokenLauncherAbi } from './abis.js'
import { createActions, DEAD_ADDRESS, DevnetTxError, type LaunchTokenParameters, type LaunchTokenReturnType } from './actions.js'
import { createDevnetPublicClient, type DevnetPublicClient } from './client.js'

const SUPPLY = parseEther('1000000')
const LIQUIDITY_TOKENS = parseEther('500000')
const LIQUIDITY_CORE = parseEther('100')
const BUY_TAX_BPS = 500
const SELL_TAX_BPS = 1000

/**
 * Each launch risk, made with the actions the simulator uses, on 0.5 s blocks: the launch-block
 * trades are sent a few milliseconds after a block, so they share the liquidity's block.
 */
describe('launch risk scenarios on chain (0.5 s blocks)', () => {
  let devnet: DevnetFixture
  let client: DevnetPublicClient
  const launched: Record<string, LaunchTokenReturnType> = {}
  const w = (i: number) => devnet.wallets[i]!

  const receipt = (hash: Hash) => client.getTransactionReceipt({ hash })
  const balance = (token: Address, owner: Address) => devnet.actions.balanceOf(token, owner)

  /** LP tokens the pair minted to `to` in the launch's `addLiquidityETH`. */
  async function lpMintedTo(l: LaunchTokenReturnType, to: Address): Promise<bigint> {
    const logs = parseEventLogs({ abi: coreMemePairAbi, eventName: 'Transfer', logs: (await receipt(l.txHashes.at(-1)!)).logs })
    return logs.filter((t) => getAddress(t.address) === l.pair && t.args.from === zeroAddress && getAddress(t.args.to) === to).reduce((sum, t) => sum + t.args.value, 0n)
  }

  function base(creator: number, symbol: string) {
    return { wallet: w(creator), name: `Risk ${symbol}`, symbol, supply: SUPPLY, liquidityCore: LIQUIDITY_CORE, liquidityTokens: LIQUIDITY_TOKENS }
  }

  beforeAll(async () => {
    devnet = await startDevnet({ blockTime: 0.5, wallets: 16 })
    client = createDevnetPublicClient({ rpcUrl: devnet.anvil.rpcUrl, chainId: devnet.deployment.chainId })
    const insiders = [
      { address: w(7).address, amount: parseEther('30000') },
      { address: w(8).address, amount: parseEther('45000') },
    ]
    const launches: Record<string, LaunchTokenParameters> = {
      tax: { ...base(0, 'TAX'), kind: 'tax', buyTaxBps: BUY_TAX_BPS, sellTaxBps: SELL_TAX_BPS },
      honeypot: { ...base(2, 'HONEY'), kind: 'honeypot' },
      lpBurn: base(4, 'BURN'),
      rugPull: base(5, 'RUG'),
      insiders: { ...base(6, 'INSIDE'), insiders },
      bundle: { ...base(9, 'BUNDLE'), bundle: { recipients: [w(10).address, w(11).address, w(1).address], amountCore: parseEther('3') } },
      snipers: {
        ...base(12, 'SNIPE'),
        snipes: [{ wallet: w(13), amountCore: parseEther('1') }, { wallet: w(14), amountCore: parseEther('2') }],
        lateSnipes: [{ wallet: w(15), amountCore: parseEther('1') }],
      },
    }
    const results = await Promise.all(Object.entries(launches).map(async ([name, p]) => [name, await devnet.actions.launchToken(p)] as const))
    for (const [name, result] of results) launched[name] = result
  }, 60_000)

  afterAll(async () => {
    await devnet?.stop()
  })

  test('a launch sent in one batch leaves no listener on the long-lived signal its actions were given', async () => {
    const simulator = new AbortController()
    const actions = createActions({ rpcUrl: devnet.anvil.rpcUrl, deployment: devnet.deployment, signal: simulator.signal })
    const l = await actions.launchToken({ ...base(3, 'SIG'), snipes: [{ wallet: w(1), amountCore: parseEther('1') }] })
    expect(l.snipes).toHaveLength(1)
    expect(getEventListeners(simulator.signal, 'abort')).toEqual([])
  })

  test('every launch announces TokenCreated and creates its WCORE pair through the router', async () => {
    const { launcher, factory, wcore } = devnet.deployment
    const created = await client.getContractEvents({ address: launcher, abi: tokenLauncherAbi, eventName: 'TokenCreated', fromBlock: 0n })
    const pairs = await client.getContractEvents({ address: factory, abi: coreMemeFactoryAbi, eventName: 'PairCreated', fromBlock: 0n })
    for (const l of Object.values(launched)) {
      expect(created.filter((e) => e.args.token === l.token)).toHaveLength(1)
      const [pairCreated] = pairs.filter((e) => e.args[2] === l.pair)
      expect([pairCreated!.args[0], pairCreated!.args[1]].sort()).toEqual([l.token, wcore].sort())
      expect((await receipt(l.txHashes.at(-1)!)).to).toBe(devnet.deployment.router.toLowerCase())
    }
  })

  test('tax: a buy gets amountOut less the 5 % buy tax; a sell delivers 10 % less to the pair; the creator gets both taxes', async () => {
    const { token, pair } = launched.tax!
    const creator = w(0).address
    const trader = w(1)
    expect(launched.tax!.kind).toBe('tax')
    expect(await client.readContract({ address: token, abi: taxTokenAbi, functionName: 'buyTaxBps' })).toBe(BUY_TAX_BPS)
    expect(await client.readContract({ address: token, abi: taxTokenAbi, functionName: 'sellTaxBps' })).toBe(SELL_TAX_BPS)

    const creatorBefore = await balance(token, creator)
    const bought = await devnet.actions.buy({ wallet: trader, token, amountCore: parseEther('2') })
    const buyTax = (bought.amountOut * BigInt(BUY_TAX_BPS)) / 10_000n
    expect(buyTax).toBeGreaterThan(0n)
    expect(await balance(token, trader.address)).toBe(bought.amountOut - buyTax)
    expect(await balance(token, creator)).toBe(creatorBefore + buyTax)

    const amountTokens = parseEther('1000')
    const pairBefore = await balance(token, pair)
    const sold = await devnet.actions.sell({ wallet: trader, token, amountTokens })
    const sellTax = (amountTokens * BigInt(SELL_TAX_BPS)) / 10_000n
    expect(sold.amountIn).toBe(amountTokens - sellTax)
    expect(await balance(token, pair)).toBe(pairBefore + amountTokens - sellTax)
    expect(await balance(token, creator)).toBe(creatorBefore + buyTax + sellTax)
    expect(sold.amountOut).toBeGreaterThan(0n)
  })

  test("honeypot: a holder's transfer to the pair reverts, to a wallet it works; the creator added liquidity and can sell", async () => {
    const { token, pair } = launched.honeypot!
    const creator = w(2)
    const holder = w(3)
    expect(await client.readContract({ address: token, abi: honeypotTokenAbi, functionName: 'pair' })).toBe(pair)
    expect(await balance(token, pair)).toBe(LIQUIDITY_TOKENS)

    await devnet.actions.buy({ wallet: holder, token, amountCore: parseEther('1') })
    const held = await balance(token, holder.address)
    expect(held).toBeGreaterThan(0n)
    const transfer = (from: Address, to: Address) => client.simulateContract({ account: from, address: token, abi: memeTokenAbi, functionName: 'transfer', args: [to, 1000n] })
    await expect(transfer(holder.address, pair)).rejects.toThrow(/SELL_DISABLED/)
    await expect(transfer(holder.address, w(15).address)).resolves.toMatchObject({ result: true })
    await expect(transfer(creator.address, pair)).resolves.toMatchObject({ result: true })

    await devnet.actions.transfer({ wallet: holder, token, to: w(15).address, amount: 1000n })
    expect(await balance(token, w(15).address)).toBe(1000n)
    const sell = devnet.actions.sell({ wallet: holder, token, percent: 50 })
    await expect(sell).rejects.toBeInstanceOf(DevnetTxError)
    expect(await balance(token, holder.address)).toBe(held - 1000n)
    const dumped = await devnet.actions.sell({ wallet: creator, token, amountTokens: parseEther('1000') })
    expect(dumped.amountIn).toBe(parseEther('1000'))
  })

  test('lpBurn: the dead address holds exactly the LP tokens the creator was minted', async () => {
    const l = launched.lpBurn!
    const creator = w(4).address
    const minted = await lpMintedTo(l, creator)
    expect(minted).toBeGreaterThan(0n)
    const burned = await devnet.actions.burnLp({ wallet: w(4), token: l.token, percent: 100 })
    expect(burned.liquidity).toBe(minted)
    expect(await balance(l.pair, DEAD_ADDRESS)).toBe(minted)
    expect(await balance(l.pair, creator)).toBe(0n)
    expect((await receipt(burned.txHashes[0]!)).blockNumber).toBeGreaterThan(l.liquidityBlock)
  })

  test('rugPull: the creator keeps its LP tokens, then removes them all (Burn), and the pool is drained', async () => {
    const l = launched.rugPull!
    const creator = w(5)
    const minted = await lpMintedTo(l, creator.address)
    expect(await balance(l.pair, creator.address)).toBe(minted)
    const removed = await devnet.actions.removeLiquidity({ wallet: creator, token: l.token, percent: 100 })
    expect(removed.liquidity).toBe(minted)
    const [burn] = parseEventLogs({ abi: coreMemePairAbi, eventName: 'Burn', logs: (await receipt(removed.txHashes.at(-1)!)).logs })
    expect(burn?.address).toBe(l.pair.toLowerCase())
    expect(await balance(l.pair, creator.address)).toBe(0n)
    // What is left is the pair's permanently locked minimum liquidity.
    expect(await balance(l.token, l.pair)).toBeLessThan(LIQUIDITY_TOKENS / 1000n)
  })

  test('insiders: the creator sent their shares before the liquidity block; balances add up', async () => {
    const l = launched.insiders!
    const [, first, second] = l.txHashes
    const transfers = await Promise.all([first!, second!].map(receipt))
    for (const r of transfers) expect(r.blockNumber).toBeLessThan(l.liquidityBlock)
    const logs = parseEventLogs({ abi: memeTokenAbi, eventName: 'Transfer', logs: transfers.flatMap((r) => r.logs) })
    expect(logs.map((t) => [getAddress(t.args.from), getAddress(t.args.to), t.args.value])).toEqual([
      [w(6).address, w(7).address, parseEther('30000')],
      [w(6).address, w(8).address, parseEther('45000')],
    ])
    expect(await balance(l.token, w(7).address)).toBe(parseEther('30000'))
    expect(await balance(l.token, w(8).address)).toBe(parseEther('45000'))
    expect(await balance(l.token, w(6).address)).toBe(SUPPLY - LIQUIDITY_TOKENS - parseEther('75000'))
  })

  test("bundle: one Bundler transaction from the creator, in the liquidity's block, bought for three wallets", async () => {
    const l = launched.bundle!
    const bundle = l.bundle!
    expect(bundle).toMatchObject({ status: 'success', blockNumber: l.liquidityBlock })
    const tx = await client.getTransaction({ hash: bundle.hash })
    expect(getAddress(tx.from)).toBe(w(9).address)
    expect(getAddress(tx.to!)).toBe(devnet.deployment.bundler)
    const recipients = [w(10).address, w(11).address, w(1).address]
    expect(bundle.swaps.map((s) => s.to)).toEqual(recipients)
    for (const [i, r] of recipients.entries()) expect(await balance(l.token, r)).toBe(bundle.swaps[i]!.amountOut)
    expect(bundle.swaps.every((s) => s.amountIn === parseEther('1'))).toBe(true)
    const add = await receipt(l.txHashes.at(-1)!)
    expect((await receipt(bundle.hash)).transactionIndex).toBeGreaterThan(add.transactionIndex)
  })

  test("snipers: two buy in the liquidity's block right behind it, a third in one of the next two", async () => {
    const l = launched.snipers!
    expect(l.snipes.map((s) => [s.status, s.blockNumber, s.swaps[0]?.to])).toEqual([
      ['success', l.liquidityBlock, w(13).address],
      ['success', l.liquidityBlock, w(14).address],
    ])
    // Sent once the liquidity's block is seen: the next block, or the one after on a loaded machine.
    const [late] = l.lateSnipes
    expect([late!.status, late!.swaps[0]?.to]).toEqual(['success', w(15).address])
    expect(late!.blockNumber - l.liquidityBlock).toBeOneOf([1n, 2n])
    const add = await receipt(l.txHashes.at(-1)!)
    for (const s of l.snipes) expect((await receipt(s.hash)).transactionIndex).toBeGreaterThan(add.transactionIndex)
    for (const [i, s] of [...l.snipes, ...l.lateSnipes].entries()) expect(await balance(l.token, w(13 + i).address)).toBe(s.swaps[0]!.amountOut)
    for (const s of [...l.snipes, ...l.lateSnipes]) expect(getAddress((await client.getTransaction({ hash: s.hash })).from)).not.toBe(w(12).address)
  })

  test('launchDirect deploys the token without the launcher: no TokenCreated, the same pair', async () => {
    const l = await devnet.actions.launchDirect({ ...base(0, 'DIRECT'), insiders: [{ address: w(1).address, amount: parseEther('1000') }] })
    const created = await client.getContractEvents({ address: devnet.deployment.launcher, abi: tokenLauncherAbi, eventName: 'TokenCreated', fromBlock: 0n })
    expect(created.some((e) => e.args.token === l.token)).toBe(false)
    expect(await devnet.actions.pairOf(l.token)).toBe(l.pair)
    expect(await balance(l.token, w(1).address)).toBe(parseEther('1000'))
  })
})
