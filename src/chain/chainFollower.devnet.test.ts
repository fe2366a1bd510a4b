import { parseEther, type Address, type Hash } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { recordEvents, testLogger } from '../../test/support/chainHarness.js'
import { waitFor } from '../../test/support/waitFor.js'
import { startAnvil, type Anvil } from '../devnet/anvil.js'
import { createDevnetPublicClient, type DevnetPublicClient } from '../devnet/client.js'
import { deployDevnet, type Deployment } from '../devnet/deploy.js'
import { createSimulator, type Simulator } from '../devnet/simulator.js'
import { followedTopics } from './abi.js'
import { createChainFollower, type ChainFollower } from './chainFollower.js'
import { createMemoryCheckpoint } from './checkpoint.js'
import type { DecodedLog } from './events.js'

// End to end against the devnet's real UniswapV2-compatible contracts (router, factory, pairs, launcher).
let anvil: Anvil
let deployment: Deployment
let client: DevnetPublicClient
let sim: Simulator
let follower: ChainFollower
const rec = recordEvents()

beforeAll(async () => {
  anvil = await startAnvil({ port: 0 })
  deployment = await deployDevnet({ rpcUrl: anvil.rpcUrl, wsUrl: anvil.wsUrl })
  client = createDevnetPublicClient({ rpcUrl: anvil.rpcUrl, chainId: deployment.chainId })
  sim = await createSimulator({ rpcUrl: anvil.rpcUrl, deployment, seed: 3, walletCount: 3, pace: { tickMs: 20, tradesPerSecond: 40, launchEveryMs: 300 } })
  follower = createChainFollower({
    rpcUrl: anvil.rpcUrl,
    wsUrl: anvil.wsUrl,
    dexes: [{ name: deployment.dexName, factory: deployment.factory }],
    launchers: [deployment.launcher],
    finalityDepth: 5,
    pollIntervalMs: 1000,
    startBlock: 0n,
    checkpoint: createMemoryCheckpoint(),
    logger: testLogger(),
    onEvents: rec.onEvents,
  })
  await follower.start()
})

afterAll(async () => {
  await sim?.stop()
  await follower?.stop()
  await anvil?.stop()
})

async function caughtUp() {
  const head = await client.getBlockNumber({ cacheTime: 0 })
  await waitFor(() => (follower.status().processed ?? -1n) >= head, { message: `processed reaches ${head}` })
}

const logsOfTx = (hash: Hash): DecodedLog[] => rec.logs().filter((l) => l.txHash === hash)
const [creator, trader] = [0, 1]

describe('chain follower on the devnet', () => {
  let token: Address
  let pair: Address

  it('sees the deployment: the WCORE/USDT pair created and seeded', async () => {
    await caughtUp()
    const created = rec.logs().filter((l) => l.kind === 'pairCreated')
    expect(created).toEqual([expect.objectContaining({ pair: deployment.usdPair, factory: deployment.factory, dex: deployment.dexName })])
    expect(rec.logs().filter((l) => l.address === deployment.usdPair).map((l) => l.kind)).toEqual(['sync', 'mint'])
  })

  it('decodes a launch: TokenCreated, then PairCreated, Sync and Mint from adding liquidity', async () => {
    const wallet = sim.wallets[creator]!
    const launched = await sim.actions.launchToken({ wallet, name: 'Frog', symbol: 'FROG', supply: parseEther('1000000'), liquidityCore: parseEther('100'), liquidityTokens: parseEther('500000') })
    ;({ token, pair } = launched)
    await caughtUp()
    const [createTx, addTx] = [launched.txHashes[0]!, launched.txHashes.at(-1)!] // create, approve, addLiquidityETH
    expect(logsOfTx(createTx)).toEqual([
      expect.objectContaining({ kind: 'tokenCreated', launcher: deployment.launcher, token, creator: wallet.address, name: 'Frog', symbol: 'FROG', totalSupply: parseEther('1000000'), from: wallet.address }),
    ])
    const add = logsOfTx(addTx)
    expect(add.map((l) => l.kind)).toEqual(['pairCreated', 'sync', 'mint'])
    const wcoreFirst = deployment.wcore.toLowerCase() < token.toLowerCase()
    expect(add[0]).toMatchObject({ pair, token0: wcoreFirst ? deployment.wcore : token, token1: wcoreFirst ? token : deployment.wcore })
    expect(add[2]).toMatchObject({ kind: 'mint', pair, sender: deployment.router, from: wallet.address, dex: deployment.dexName })
  })

  it('decodes a buy and a sell as swaps sent through the router, from the trader', async () => {
    const wallet = sim.wallets[trader]!
    const buy = await sim.actions.buy({ wallet, token, amountCore: parseEther('1') })
    const sell = await sim.actions.sell({ wallet, token, percent: 50 })
    await caughtUp()
    const swaps = [...logsOfTx(buy.txHashes[0]!), ...logsOfTx(sell.txHashes.at(-1)!)].filter((l) => l.kind === 'swap')
    expect(swaps).toEqual([
      expect.objectContaining({ pair, sender: deployment.router, to: wallet.address, from: wallet.address }),
      expect.objectContaining({ pair, sender: deployment.router, to: deployment.router, from: wallet.address }),
    ])
    const [bought, sold] = swaps
    if (bought?.kind !== 'swap' || sold?.kind !== 'swap') throw new Error('not swaps')
    expect(bought.amount0In + bought.amount1In).toBe(buy.amountIn)
    expect(bought.amount0Out + bought.amount1Out).toBe(buy.amountOut)
    expect(sold.amount0In + sold.amount1In).toBe(sell.amountIn)
  })

  it('decodes removing liquidity as a Burn', async () => {
    const removed = await sim.actions.removeLiquidity({ wallet: sim.wallets[creator]!, token, percent: 90 })
    await caughtUp()
    expect(logsOfTx(removed.txHashes.at(-1)!).map((l) => l.kind)).toEqual(['sync', 'burn']) // _update() then emit Burn
    expect(logsOfTx(removed.txHashes.at(-1)!)[1]).toMatchObject({ kind: 'burn', pair, sender: deployment.router, to: deployment.router })
  })

  it('under the simulated market, emits every pair log of the factory exactly once', async () => {
    sim.start()
    await waitFor(() => sim.stats.launches >= 2 && sim.stats.buys + sim.stats.sells >= 20, { timeoutMs: 20_000, message: 'market activity' })
    await sim.stop()
    await caughtUp()
    const head = await client.getBlockNumber({ cacheTime: 0 })
    const pairs = new Set(rec.logs().flatMap((l) => (l.kind === 'pairCreated' ? [l.pair.toLowerCase()] : [])))
    const onChain = (await client.getLogs({ fromBlock: 0n, toBlock: head })).filter((l) => pairs.has(l.address.toLowerCase()))
    const emitted = rec.logs().filter((l) => pairs.has(l.address.toLowerCase()))
    const key = (tx: string, index: number) => `${tx}:${index}`
    expect(emitted.map((l) => key(l.txHash, l.logIndex))).toEqual(onChain.filter((l) => followedTopics.includes(l.topics[0]!)).map((l) => key(l.transactionHash!, l.logIndex!)))
    expect(pairs.size).toBeGreaterThanOrEqual(4)
  })
})
