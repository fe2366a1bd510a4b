import { getAddress, parseEther, parseEventLogs, zeroAddress, type Address } from 'viem'
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest'
import { coreMemeFactoryAbi, coreMemePairAbi, memeTokenAbi, taxTokenAbi, tokenLauncherAbi } from './abis.js'
import { createActions, DEAD_ADDRESS } from './actions.js'
import { startAnvil, type Anvil } from './anvil.js'
import { createDevnetPublicClient, type DevnetPublicClient } from './client.js'
import { deployDevnet, type Deployment } from './deploy.js'
import type { LaunchScenario } from './decisions.js'
import { RISK_SCENARIOS } from './scenarios.js'
import { createSimulator, type SimLaunch, type Simulator } from './simulator.js'

/** A launch every second, rugs every 1–2 s once a token is 3 s old: the first eight launches in about ten seconds. */
const FAST = { tickMs: 100, launchEveryMs: 1000, tradesPerSecond: 3, whaleEveryMs: 4000, rugEveryMs: 2000, rugMinAgeMs: 3000, pumpEveryMs: 6000, dumpEveryMs: 5000, maxLiveTokens: 8 }

describe('a short simulator run (fast pace, 0.5 s blocks) shows every launch risk on chain', () => {
  let anvil: Anvil
  let deployment: Deployment
  let client: DevnetPublicClient
  let sim: Simulator
  const byScenario = new Map<LaunchScenario, SimLaunch>()

  const balance = (token: Address, owner: Address) => client.readContract({ address: token, abi: memeTokenAbi, functionName: 'balanceOf', args: [owner] })
  const creatorOf = (l: SimLaunch) => sim.wallets[l.decision.creator]!.address
  const burnsOf = (pair: Address) => client.getContractEvents({ address: pair, abi: coreMemePairAbi, eventName: 'Burn', fromBlock: 0n })

  beforeAll(async () => {
    anvil = await startAnvil({ port: 0, blockTime: 0.5 })
    deployment = await deployDevnet({ rpcUrl: anvil.rpcUrl, wsUrl: anvil.wsUrl })
    client = createDevnetPublicClient({ rpcUrl: anvil.rpcUrl, chainId: deployment.chainId })
    sim = await createSimulator({ rpcUrl: anvil.rpcUrl, deployment, seed: 3, pace: FAST })
    sim.start()
    const firstEight = () => Array.from({ length: 8 }, (_, i) => sim.launched.get(i))
    await vi.waitFor(() => expect(firstEight().every(Boolean)).toBe(true), { timeout: 40_000, interval: 100 })
    for (const l of firstEight()) if (!byScenario.has(l!.scenario)) byScenario.set(l!.scenario, l!)
    const rugPull = byScenario.get('rugPull')!
    await vi.waitFor(async () => expect((await burnsOf(rugPull.pair)).length).toBeGreaterThan(0), { timeout: 20_000, interval: 200 })
    await vi.waitFor(() => expect(sim.stats.honeypotReverts).toBeGreaterThan(0), { timeout: 20_000, interval: 100 })
    await sim.stop()
  }, 90_000)

  afterAll(async () => {
    await sim?.stop()
    await anvil?.stop()
  })

  test('launches 0–7 cover every risk scenario; each came through the launcher and made a WCORE pair', async () => {
    expect(new Set(byScenario.keys())).toEqual(new Set([...RISK_SCENARIOS, 'plain']))
    const created = await client.getContractEvents({ address: deployment.launcher, abi: tokenLauncherAbi, eventName: 'TokenCreated', fromBlock: 0n })
    const pairs = await client.getContractEvents({ address: deployment.factory, abi: coreMemeFactoryAbi, eventName: 'PairCreated', fromBlock: 0n })
    // A launch still in flight when the run stopped may have its TokenCreated and nothing more.
    expect(created.length).toBeGreaterThanOrEqual(sim.stats.launches)
    for (const l of sim.launched.values()) {
      expect(created.filter((e) => e.args.token === l.token)).toHaveLength(1)
      expect(created.find((e) => e.args.token === l.token)?.args).toMatchObject({ creator: creatorOf(l), symbol: l.decision.symbol })
      const pair = pairs.find((e) => e.args[2] === l.pair)!
      expect([pair.args[0], pair.args[1]].sort()).toEqual([l.token, deployment.wcore].sort())
    }
  })

  test("snipers: other wallets bought in the liquidity's block, then in the next one or two", () => {
    const l = byScenario.get('snipers')!
    expect(l.snipes.length).toBeGreaterThanOrEqual(1)
    expect(l.lateSnipes.length).toBeGreaterThanOrEqual(1)
    expect(l.snipes.map((s) => [s.status, s.blockNumber])).toEqual(l.snipes.map(() => ['success', l.liquidityBlock]))
    for (const s of l.lateSnipes) expect([s.status, s.blockNumber - l.liquidityBlock]).toEqual(['success', expect.toBeOneOf([1n, 2n])])
    const buyers = [...l.snipes, ...l.lateSnipes].map((s) => s.swaps[0]!.to)
    expect(new Set(buyers).size).toBe(buyers.length)
    expect(buyers).not.toContain(creatorOf(l))
  })

  test("bundle: one Bundler transaction in the liquidity's block bought for three or more other wallets", async () => {
    const l = byScenario.get('bundle')!
    expect(l.bundle).toMatchObject({ status: 'success', blockNumber: l.liquidityBlock })
    const tx = await client.getTransaction({ hash: l.bundle!.hash })
    expect([getAddress(tx.from), getAddress(tx.to!)]).toEqual([creatorOf(l), deployment.bundler])
    const recipients = l.bundle!.swaps.map((s) => s.to)
    expect(recipients).toEqual(l.decision.bundle!.recipients.map((i) => sim.wallets[i]!.address))
    expect(new Set(recipients).size).toBeGreaterThanOrEqual(3)
  })

  test('tax: the token charges the taxes the planner chose', async () => {
    const l = byScenario.get('tax')!
    expect(await client.readContract({ address: l.token, abi: taxTokenAbi, functionName: 'buyTaxBps' })).toBe(l.decision.buyTaxBps)
    expect(await client.readContract({ address: l.token, abi: taxTokenAbi, functionName: 'sellTaxBps' })).toBe(l.decision.sellTaxBps)
  })

  test("honeypot: holders' sells reverted and the simulator went on; a buyer cannot transfer to the pair", async () => {
    const l = byScenario.get('honeypot')!
    expect(sim.stats.honeypotReverts).toBeGreaterThan(0)
    expect(sim.stats.launches).toBeGreaterThan(l.decision.launch + 1)
    const buyer = sim.wallets.find((w) => w.address !== creatorOf(l))!
    // The simulator's actions are aborted with it: fresh ones.
    await createActions({ rpcUrl: anvil.rpcUrl, deployment }).buy({ wallet: buyer, token: l.token, amountCore: parseEther('1') })
    const toPair = client.simulateContract({ account: buyer.address, address: l.token, abi: memeTokenAbi, functionName: 'transfer', args: [l.pair, 1n] })
    await expect(toPair).rejects.toThrow(/SELL_DISABLED/)
  })

  test('lpBurn: the dead address holds every LP token the creator was minted, right after the launch', async () => {
    const l = byScenario.get('lpBurn')!
    const add = await client.getTransactionReceipt({ hash: l.txHashes.at(-1)! })
    const [minted] = parseEventLogs({ abi: coreMemePairAbi, eventName: 'Transfer', logs: add.logs }).filter((t) => t.args.from === zeroAddress && getAddress(t.args.to) === creatorOf(l))
    expect(await balance(l.pair, DEAD_ADDRESS)).toBe(minted!.args.value)
    expect(await balance(l.pair, creatorOf(l))).toBe(0n)
    expect(await burnsOf(l.pair)).toEqual([])
  })

  test('rugPull: the creator removed 80–100 % of its liquidity, no sooner than rugMinAgeMs after the launch', async () => {
    const l = byScenario.get('rugPull')!
    const [burn] = await burnsOf(l.pair)
    const tx = await client.getTransaction({ hash: burn!.transactionHash })
    expect(getAddress(tx.from)).toBe(creatorOf(l))
    const [launchBlock, rugBlock] = await Promise.all([client.getBlock({ blockNumber: l.liquidityBlock }), client.getBlock({ blockNumber: burn!.blockNumber })])
    expect(Number(rugBlock.timestamp - launchBlock.timestamp)).toBeGreaterThanOrEqual(2)
  })

  test('insiders: the creator paid each insider its share of the supply before the liquidity block', async () => {
    const l = byScenario.get('insiders')!
    const supply = parseEther(String(l.decision.supply))
    const transfers = await client.getContractEvents({ address: l.token, abi: memeTokenAbi, eventName: 'Transfer', fromBlock: 0n, toBlock: l.liquidityBlock - 1n })
    const paid = transfers.filter((t) => getAddress(t.args.from!) === creatorOf(l)).map((t) => [getAddress(t.args.to!), t.args.value])
    expect(paid).toEqual(l.decision.insiders.map((i) => [sim.wallets[i.wallet]!.address, (supply * BigInt(i.percent)) / 100n]))
  })
})
