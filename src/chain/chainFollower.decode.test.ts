import { getAddress, type Address } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ACCOUNT, deployFixtureDex, recordEvents, startDevChain, testLogger, type DevChain, type EventRecorder, type FixtureDex } from '../../test/support/chainHarness.js'
import { startRpcProxy, type RpcProxy } from '../../test/support/rpcProxy.js'
import { waitFor } from '../../test/support/waitFor.js'
import { createChainFollower, type ChainFollower } from './chainFollower.js'
import { createMemoryCheckpoint } from './checkpoint.js'
import type { DecodedLog } from './events.js'

let chain: DevChain
let dex: FixtureDex
let proxy: RpcProxy
let follower: ChainFollower
const rec: EventRecorder = recordEvents()
const other = { factory: '' as Address, pair: '' as Address, launcher: '' as Address }
const txs: Record<string, `0x${string}`> = {}

/** eth_calls the follower made to `address`. */
const callsTo = (address: Address) =>
  proxy.calls.filter((c) => c.method === 'eth_call' && (c.params[0] as { to?: string }).to?.toLowerCase() === address.toLowerCase()).length

const logsOf = (address: Address): DecodedLog[] => rec.logs().filter((l) => l.address === address)

beforeAll(async () => {
  chain = await startDevChain()
  dex = await deployFixtureDex(chain)
  const { FixturePair, FixtureFactory, NotAPair, FixtureLauncher } = chain.artifacts
  other.factory = await chain.deploy('FixtureFactory')
  other.launcher = await chain.deploy('FixtureLauncher')
  const token = '0x3000000000000000000000000000000000000003'
  await chain.write(other.factory, FixtureFactory.abi, 'createPair', [token, dex.token1])
  other.pair = (await chain.client.readContract({ address: other.factory, abi: FixtureFactory.abi, functionName: 'allPairs', args: [0n] })) as Address
  const start = (await chain.client.getBlockNumber()) + 1n // after dex.pair's PairCreated: the follower has to resolve it

  txs.swap = (await chain.write(dex.pair, FixturePair.abi, 'swapAndSync', [10n, 20n, 1000n, 2000n])).hash
  txs.mint = (await chain.write(dex.pair, FixturePair.abi, 'mint', [5n, 6n])).hash
  txs.burn = (await chain.write(dex.pair, FixturePair.abi, 'burn', [7n, 8n, dex.token0])).hash
  txs.newPair = (await chain.write(dex.factory, FixtureFactory.abi, 'createPair', [token, dex.token0])).hash
  txs.launch = (await chain.write(dex.launcher, FixtureLauncher.abi, 'launch', [token, 'Meme', 'MEME', 10n ** 27n])).hash
  await chain.write(other.launcher, FixtureLauncher.abi, 'launch', [token, 'Other', 'OTH', 1n])
  for (let i = 0; i < 3; i++) {
    await chain.write(dex.notAPair, NotAPair.abi, 'swap')
    await chain.write(other.pair, FixturePair.abi, 'sync', [1n, 1n])
    await chain.write(dex.pair, FixturePair.abi, 'sync', [BigInt(i), 1n])
  }

  proxy = await startRpcProxy(chain.anvil.rpcUrl)
  follower = createChainFollower({
    rpcUrl: proxy.url,
    dexes: [{ name: 'fixture', factory: dex.factory }],
    launchers: [dex.launcher],
    finalityDepth: 3,
    pollIntervalMs: 20,
    startBlock: start,
    maxBlockRange: 2, // several ranges: caches must hold across them
    checkpoint: createMemoryCheckpoint(),
    logger: testLogger(),
    onEvents: rec.onEvents,
  })
  await follower.start()
  const head = await chain.client.getBlockNumber()
  await waitFor(() => follower.status().processed === head, { message: 'caught up' })
})

afterAll(async () => {
  await follower?.stop()
  await proxy?.close()
  await chain?.stop()
})

describe('chain follower decoding', () => {
  it('decodes a swap and its sync from one transaction, with pair info, in logIndex order', () => {
    const logs = rec.logs().filter((l) => l.txHash === txs.swap)
    const pairInfo = { pair: dex.pair, address: dex.pair, dex: 'fixture', factory: dex.factory, token0: dex.token0, token1: dex.token1, from: ACCOUNT }
    expect(logs).toEqual([
      expect.objectContaining({ kind: 'swap', ...pairInfo, logIndex: 0, sender: ACCOUNT, to: ACCOUNT, amount0In: 10n, amount1In: 0n, amount0Out: 0n, amount1Out: 20n }),
      expect.objectContaining({ kind: 'sync', ...pairInfo, logIndex: 1, reserve0: 1000n, reserve1: 2000n }),
    ])
  })

  it('decodes mint and burn', () => {
    expect(rec.logs().find((l) => l.txHash === txs.mint)).toMatchObject({ kind: 'mint', sender: ACCOUNT, amount0: 5n, amount1: 6n })
    expect(rec.logs().find((l) => l.txHash === txs.burn)).toMatchObject({ kind: 'burn', sender: ACCOUNT, to: dex.token0, amount0: 7n, amount1: 8n })
  })

  it('decodes PairCreated (unnamed fourth argument) and learns the new pair without asking the node', async () => {
    const created = rec.logs().find((l) => l.txHash === txs.newPair)
    expect(created).toMatchObject({ kind: 'pairCreated', factory: dex.factory, dex: 'fixture', token0: '0x3000000000000000000000000000000000000003', token1: dex.token0 })
    expect(created?.kind === 'pairCreated' && created.pair).toMatch(/^0x[0-9a-fA-F]{40}$/)
    if (created?.kind === 'pairCreated') expect(callsTo(created.pair)).toBe(0)
  })

  it('decodes TokenCreated from a followed launcher only', () => {
    expect(rec.logs().filter((l) => l.kind === 'tokenCreated')).toEqual([
      expect.objectContaining({ launcher: dex.launcher, token: '0x3000000000000000000000000000000000000003', creator: ACCOUNT, name: 'Meme', symbol: 'MEME', totalSupply: 10n ** 27n }),
    ])
  })

  it('resolves a pair it never saw created once (factory, token0, token1), then from its cache', () => {
    expect(logsOf(dex.pair).filter((l) => l.kind === 'sync')).toHaveLength(4)
    expect(callsTo(dex.pair)).toBe(3)
  })

  it('drops Swap-shaped logs from a contract that is not a pair, asking it only once', () => {
    expect(logsOf(getAddress(dex.notAPair))).toEqual([])
    expect(callsTo(dex.notAPair)).toBe(3) // one lookup: factory(), token0(), token1() in parallel, all reverting
  })

  it('drops pairs and PairCreated of factories it does not follow, asking each pair only once', () => {
    expect(logsOf(other.pair)).toEqual([])
    expect(logsOf(other.factory)).toEqual([])
    expect(callsTo(other.pair)).toBe(3)
  })

  it('fetches each block with logs once, with its transactions, and no transaction or receipt by hash', () => {
    const ids = (b: { block: { hash: string; number: bigint } }) => [b.block.hash, `0x${b.block.number.toString(16)}`]
    const full = proxy.calls.filter((c) => c.method.startsWith('eth_getBlockBy') && c.params[1] === true).map((c) => c.params[0] as string)
    for (const block of rec.blocks()) expect(full.filter((id) => ids(block).includes(id))).toHaveLength(1)
    expect(new Set(full).size).toBe(full.length) // live ranges fetch blocks without logs too, but each once
    expect(proxy.count('eth_getTransactionByHash') + proxy.count('eth_getTransactionReceipt')).toBe(0)
  })
})
