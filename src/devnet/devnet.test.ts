import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { getAddress, parseEther, parseEventLogs, parseUnits, type Address, type Hash, type Log } from 'viem'
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest'
import { badSymbolTokenAbi, coreMemeFactoryAbi, coreMemePairAbi, coreMemeRouterAbi, tokenLauncherAbi } from './abis.js'
import { startAnvil, type Anvil } from './anvil.js'
import { getBytecode } from './artifacts.js'
import { createDevnetWallet, type DevnetPublicClient, createDevnetPublicClient } from './client.js'
import { DEPLOYER_PRIVATE_KEY, deployDevnet, readDeployment, type Deployment } from './deploy.js'
import { createSimulator, type Simulator } from './simulator.js'
import { isRunning } from '../../test/support/process.js'


describe('devnet on automine', () => {
  let anvil: Anvil
  let deployment: Deployment
  let client: DevnetPublicClient
  let sim: Simulator
  let dir: string

  /** Every log of the given transactions, in order. */
  async function logsOf(hashes: Hash[]): Promise<Log[]> {
    const receipts = await Promise.all(hashes.map((hash) => client.getTransactionReceipt({ hash })))
    return receipts.flatMap((r) => r.logs)
  }

  async function pairTokens(pair: Address) {
    const token0 = await client.readContract({ address: pair, abi: coreMemePairAbi, functionName: 'token0' })
    return { token0: getAddress(token0) }
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'devnet-test-'))
    anvil = await startAnvil({ port: 0 })
    deployment = await deployDevnet({ rpcUrl: anvil.rpcUrl, wsUrl: anvil.wsUrl, file: join(dir, 'nested', 'devnet.json') })
    client = createDevnetPublicClient({ rpcUrl: anvil.rpcUrl, chainId: deployment.chainId })
    sim = await createSimulator({ rpcUrl: anvil.rpcUrl, deployment, seed: 7, walletCount: 4 })
  })

  afterAll(async () => {
    await sim?.stop()
    await anvil?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  test('deploy puts code at every address and seeds the USD pair at 1 CORE = 1 USD', async () => {
    const { wcore, usd, factory, router, launcher, usdPair } = deployment
    for (const address of [wcore, usd, factory, router, launcher, usdPair]) {
      expect((await client.getCode({ address }))?.length ?? 0).toBeGreaterThan(2)
    }
    const [reserve0, reserve1] = await client.readContract({ address: usdPair, abi: coreMemePairAbi, functionName: 'getReserves' })
    const wcoreIsToken0 = (await pairTokens(usdPair)).token0 === wcore
    const [coreReserve, usdReserve] = wcoreIsToken0 ? [reserve0, reserve1] : [reserve1, reserve0]
    expect(coreReserve).toBe(parseEther('100000'))
    expect(usdReserve).toBe(parseUnits('100000', 6))
    expect(deployment).toMatchObject({ chainId: 31337, dexName: 'CoreMemeSwap', rpcUrl: anvil.rpcUrl })
  })

  test('readDeployment reads back the file deployDevnet wrote', async () => {
    expect(await readDeployment(join(dir, 'nested', 'devnet.json'))).toEqual(deployment)
  })

  test('launchToken emits TokenCreated, PairCreated and Mint with the given amounts', async () => {
    const wallet = sim.wallets[0]!
    const supply = parseEther('1000000')
    const launch = await sim.actions.launchToken({ wallet, name: 'Test Frog', symbol: 'TFROG', supply, liquidityCore: parseEther('100'), liquidityTokens: parseEther('400000') })
    const logs = await logsOf(launch.txHashes)

    const [created] = parseEventLogs({ abi: tokenLauncherAbi, eventName: 'TokenCreated', logs })
    expect(created?.args).toEqual({ token: launch.token, creator: wallet.address, name: 'Test Frog', symbol: 'TFROG', totalSupply: supply })

    // PairCreated's fourth argument is unnamed, so viem decodes args as an array.
    const [pairCreated] = parseEventLogs({ abi: coreMemeFactoryAbi, eventName: 'PairCreated', logs })
    const [token0, token1, pair, count] = pairCreated!.args
    expect(pair).toBe(launch.pair)
    expect([token0, token1].sort()).toEqual([launch.token, deployment.wcore].sort())
    expect(count).toBe(2n)

    const [mint] = parseEventLogs({ abi: coreMemePairAbi, eventName: 'Mint', logs })
    const tokenIs0 = token0 === launch.token
    expect(mint?.args).toEqual({
      sender: deployment.router,
      amount0: tokenIs0 ? parseEther('400000') : parseEther('100'),
      amount1: tokenIs0 ? parseEther('100') : parseEther('400000'),
    })
  })

  test('buy emits a Swap with CORE in and the token out; sell the other way', async () => {
    const creator = sim.wallets[1]!
    const trader = sim.wallets[2]!
    const { token, pair } = await sim.actions.launchToken({ wallet: creator, name: 'Swap Cat', symbol: 'SCAT', supply: parseEther('1000000'), liquidityCore: parseEther('50'), liquidityTokens: parseEther('500000') })
    const tokenIs0 = (await pairTokens(pair)).token0 === token
    const path = [deployment.wcore, token] as const
    const [, expectedTokens] = await client.readContract({ address: deployment.router, abi: coreMemeRouterAbi, functionName: 'getAmountsOut', args: [parseEther('2'), path] })

    const buy = await sim.actions.buy({ wallet: trader, token, amountCore: parseEther('2') })
    const [buySwap] = parseEventLogs({ abi: coreMemePairAbi, eventName: 'Swap', logs: await logsOf(buy.txHashes) })
    expect(buySwap?.args).toMatchObject(
      tokenIs0
        ? { amount0In: 0n, amount1In: parseEther('2'), amount0Out: expectedTokens, amount1Out: 0n, to: trader.address }
        : { amount0In: parseEther('2'), amount1In: 0n, amount0Out: 0n, amount1Out: expectedTokens, to: trader.address },
    )
    expect(buy).toMatchObject({ amountIn: parseEther('2'), amountOut: expectedTokens })

    const half = expectedTokens! / 2n
    const [, expectedCore] = await client.readContract({ address: deployment.router, abi: coreMemeRouterAbi, functionName: 'getAmountsOut', args: [half, [token, deployment.wcore]] })
    const sell = await sim.actions.sell({ wallet: trader, token, amountTokens: half })
    const [sellSwap] = parseEventLogs({ abi: coreMemePairAbi, eventName: 'Swap', logs: await logsOf(sell.txHashes) })
    expect(sellSwap?.args).toMatchObject(
      tokenIs0
        ? { amount0In: half, amount1In: 0n, amount0Out: 0n, amount1Out: expectedCore, to: deployment.router }
        : { amount0In: 0n, amount1In: half, amount0Out: expectedCore, amount1Out: 0n, to: deployment.router },
    )
    expect(sell).toMatchObject({ amountIn: half, amountOut: expectedCore })
  })

  test('removeLiquidity(90) burns 90% of the LP tokens and emits Burn', async () => {
    const wallet = sim.wallets[3]!
    const { token, pair } = await sim.actions.launchToken({ wallet, name: 'Rug Doge', symbol: 'RDOGE', supply: parseEther('1000'), liquidityCore: parseEther('10'), liquidityTokens: parseEther('1000') })
    const lpBefore = await sim.actions.balanceOf(pair, wallet.address)
    const removed = await sim.actions.removeLiquidity({ wallet, token, percent: 90 })
    expect(removed.liquidity).toBe((lpBefore * 9000n) / 10_000n)
    const [burn] = parseEventLogs({ abi: coreMemePairAbi, eventName: 'Burn', logs: await logsOf(removed.txHashes) })
    expect(burn?.address).toBe(pair.toLowerCase())
    expect(burn?.args).toMatchObject({ sender: deployment.router, to: deployment.router })
    expect(burn!.args.amount0 + burn!.args.amount1).toBeGreaterThan(0n)
    expect(await sim.actions.balanceOf(pair, wallet.address)).toBe(lpBefore - removed.liquidity)
  })

  test("BadSymbolToken's symbol() and name() revert while decimals() answers", async () => {
    const deployer = createDevnetWallet({ rpcUrl: anvil.rpcUrl, chainId: deployment.chainId, privateKey: DEPLOYER_PRIVATE_KEY })
    const hash = await deployer.client.deployContract({ abi: badSymbolTokenAbi, bytecode: getBytecode('BadSymbolToken'), args: [parseEther('1')] })
    const { contractAddress } = await deployer.client.waitForTransactionReceipt({ hash })
    const address = contractAddress!
    await expect(client.readContract({ address, abi: badSymbolTokenAbi, functionName: 'symbol' })).rejects.toThrow(/no symbol/)
    await expect(client.readContract({ address, abi: badSymbolTokenAbi, functionName: 'name' })).rejects.toThrow(/no name/)
    expect(await client.readContract({ address, abi: badSymbolTokenAbi, functionName: 'decimals' })).toBe(18)
  })
})

describe('simulator on interval mining', () => {
  test('a seeded run launches tokens and swaps, then stops and anvil exits', async () => {
    const anvil = await startAnvil({ port: 0, blockTime: 0.5 })
    try {
      const deployment = await deployDevnet({ rpcUrl: anvil.rpcUrl, wsUrl: anvil.wsUrl })
      const sim = await createSimulator({ rpcUrl: anvil.rpcUrl, deployment, seed: 1, pace: { tradesPerSecond: 8 } })
      sim.start()
      await vi.waitFor(() => expect(sim.stats.buys + sim.stats.sells).toBeGreaterThanOrEqual(5), { timeout: 15_000, interval: 100 })
      await sim.stop()
      expect(sim.stats.launches).toBeGreaterThanOrEqual(1)

      const client = createDevnetPublicClient({ rpcUrl: anvil.rpcUrl, chainId: deployment.chainId })
      const launches = await client.getContractEvents({ address: deployment.launcher, abi: tokenLauncherAbi, eventName: 'TokenCreated', fromBlock: 0n })
      const pair = sim.launched.get(0)!.pair
      const swaps = await client.getContractEvents({ address: pair, abi: coreMemePairAbi, eventName: 'Swap', fromBlock: 0n })
      expect(launches.length).toBeGreaterThanOrEqual(1)
      expect(swaps.length).toBeGreaterThanOrEqual(5)
    } finally {
      await anvil.stop()
    }
    expect(isRunning(anvil.pid)).toBe(false)
  })
})
