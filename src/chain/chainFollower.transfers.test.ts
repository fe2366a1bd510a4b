import {
  createTestClient,
  getAddress,
  http,
  maxUint256,
  parseAbi,
  parseEther,
  publicActions,
  walletActions,
  zeroAddress,
  type Address,
  type Hash,
  type TransactionReceipt,
} from 'viem'
import { foundry } from 'viem/chains'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { recordEvents, testLogger, type EventRecorder } from '../../test/support/chainHarness.js'
import { startRpcProxy, type RpcCall, type RpcProxy } from '../../test/support/rpcProxy.js'
import { waitFor } from '../../test/support/waitFor.js'
import { startAnvil, type Anvil } from '../devnet/anvil.js'
import { getBytecode } from '../devnet/artifacts.js'
import { deployDevnet, type Deployment } from '../devnet/deploy.js'
import { erc20TransferAbi, transferTopic } from './abi.js'
import { createChainFollower, type ChainFollower, type ChainFollowerOptions } from './chainFollower.js'
import { createMemoryCheckpoint } from './checkpoint.js'
import type { GetLogsPurpose } from './countedRpc.js'
import type { ChainEvent, DecodedLog, TransferLog } from './events.js'
import { fetchRange, type RangeContext } from './fetchRange.js'
import { createPairResolver } from './pairResolver.js'
import { createRecentLogs } from './recentLogs.js'
import { createChainRpc } from './rpc.js'

// The follower's `transfers` option against the devnet's real contracts (launcher, router, pairs, WCORE).
// The scenario, one block per step unless noted:
//   D0–D2  EARLY deployed directly (no TokenCreated) and handed out: its pre-launch history
//   U0–U1  QUIET deployed and moved: never tracked nor announced
//   L      one block: FROG created by the launcher, approved, paired with addLiquidityETH
//   A, P   EARLY approved, then paired (PairCreated: EARLY and its pair are announced at P)
//   T      one block: a buy of FROG, a FROG transfer, a QUIET transfer, an EARLY transfer
//   W      the creator sends half its FROG LP tokens to a dead address (a block with a transfer only)

const erc20Abi = parseAbi([
  'constructor(string name_, string symbol_, uint256 totalSupply_, address owner)',
  'function approve(address spender, uint256 value) returns (bool)',
  'function transfer(address to, uint256 value) returns (bool)',
  'function balanceOf(address owner) view returns (uint256)',
  'function totalSupply() view returns (uint256)',
])
const launcherAbi = parseAbi(['function createToken(string name, string symbol, uint256 totalSupply) returns (address)'])
const factoryAbi = parseAbi(['function getPair(address a, address b) view returns (address)'])
const routerAbi = parseAbi([
  'function addLiquidityETH(address token, uint256 amountTokenDesired, uint256 amountTokenMin, uint256 amountETHMin, address to, uint256 deadline) payable returns (uint256, uint256, uint256)',
  'function swapExactETHForTokens(uint256 amountOutMin, address[] path, address to, uint256 deadline) payable returns (uint256[])',
])

const DEAD: Address = '0x000000000000000000000000000000000000dEaD'
const FROG_SUPPLY = parseEther('1000000')
const EARLY_SUPPLY = parseEther('500000')
/** What the test sends. */
const amounts = {
  frogLiquidity: parseEther('400000'),
  earlyLiquidity: parseEther('100000'),
  handout1: parseEther('1000'),
  handout2: parseEther('2000'),
  frogToHolder: parseEther('123'),
  earlyToHolder: parseEther('45'),
  buyCore: parseEther('1'),
}
const GAS = 5_000_000n

let anvil: Anvil
let deployment: Deployment
let client: ReturnType<typeof createClient>
let creator: Address, trader: Address, holder: Address
let startBlock: bigint
const tokens = { frog: zeroAddress as Address, early: zeroAddress as Address, quiet: zeroAddress as Address, frogPair: zeroAddress as Address, earlyPair: zeroAddress as Address }
const receipts: Record<string, TransactionReceipt> = {}
/** What the test reads back with `balanceOf`. */
const read = { frogLp: 0n, earlyLp: 0n, lpToDead: 0n, frogBought: 0n }
const stops: (() => Promise<void>)[] = []
let live: ChainFollower
const liveRec = recordEvents()

function createClient(rpcUrl: string) {
  return createTestClient({ chain: foundry, mode: 'anvil', transport: http(rpcUrl), cacheTime: 0 }).extend(publicActions).extend(walletActions)
}

/** Sends a contract call (explicit gas: within a manually mined block nothing can be estimated). */
function call(account: Address, request: { address: Address; abi: typeof erc20Abi | typeof launcherAbi | typeof routerAbi; functionName: string; args: readonly unknown[]; value?: bigint }): Promise<Hash> {
  return client.writeContract({ ...request, account, chain: foundry, gas: GAS } as Parameters<typeof client.writeContract>[0])
}

async function mined(name: string, hash: Promise<Hash>): Promise<TransactionReceipt> {
  const receipt = await client.waitForTransactionReceipt({ hash: await hash, pollingInterval: 10 })
  if (receipt.status !== 'success') throw new Error(`${name} reverted`)
  receipts[name] = receipt
  return receipt
}

/** Sends `txs` with automine off, then mines them into one block. */
async function oneBlock(txs: Record<string, () => Promise<Hash>>): Promise<void> {
  await client.setAutomine(false)
  const sent: [string, Hash][] = []
  for (const [name, send] of Object.entries(txs)) sent.push([name, await send()]) // one by one: nonces in order
  await client.mine({ blocks: 1 })
  await client.setAutomine(true)
  await Promise.all(sent.map(([name, hash]) => mined(name, Promise.resolve(hash))))
}

async function deployToken(name: string, supply: bigint, owner: Address): Promise<Address> {
  const receipt = await mined(`deploy ${name}`, client.deployContract({ abi: erc20Abi, bytecode: getBytecode('MemeToken'), args: [name, name, supply, owner], account: owner, chain: foundry }))
  return getAddress(receipt.contractAddress as Address)
}

const balanceOf = (token: Address, owner: Address) => client.readContract({ address: token, abi: erc20Abi, functionName: 'balanceOf', args: [owner] })
const getPair = async (token: Address) => getAddress(await client.readContract({ address: deployment.factory, abi: factoryAbi, functionName: 'getPair', args: [token, deployment.wcore] }))

async function runScenario(): Promise<void> {
  tokens.early = await deployToken('EARLY', EARLY_SUPPLY, creator)
  await mined('handout1', call(creator, { address: tokens.early, abi: erc20Abi, functionName: 'transfer', args: [holder, amounts.handout1] }))
  await mined('handout2', call(creator, { address: tokens.early, abi: erc20Abi, functionName: 'transfer', args: [trader, amounts.handout2] }))
  tokens.quiet = await deployToken('QUIET', 1000n, holder)
  await mined('quiet1', call(holder, { address: tokens.quiet, abi: erc20Abi, functionName: 'transfer', args: [trader, 5n] }))

  const { result: frog } = await client.simulateContract({ address: deployment.launcher, abi: launcherAbi, functionName: 'createToken', args: ['Frog', 'FROG', FROG_SUPPLY], account: creator })
  tokens.frog = getAddress(frog)
  await oneBlock({
    create: () => call(creator, { address: deployment.launcher, abi: launcherAbi, functionName: 'createToken', args: ['Frog', 'FROG', FROG_SUPPLY] }),
    approveFrog: () => call(creator, { address: tokens.frog, abi: erc20Abi, functionName: 'approve', args: [deployment.router, maxUint256] }),
    addFrog: () =>
      call(creator, { address: deployment.router, abi: routerAbi, functionName: 'addLiquidityETH', args: [tokens.frog, amounts.frogLiquidity, 0n, 0n, creator, maxUint256], value: parseEther('10') }),
  })
  tokens.frogPair = await getPair(tokens.frog)
  read.frogLp = await balanceOf(tokens.frogPair, creator)

  await mined('approveEarly', call(creator, { address: tokens.early, abi: erc20Abi, functionName: 'approve', args: [deployment.router, maxUint256] }))
  await mined('addEarly', call(creator, { address: deployment.router, abi: routerAbi, functionName: 'addLiquidityETH', args: [tokens.early, amounts.earlyLiquidity, 0n, 0n, creator, maxUint256], value: parseEther('5') }))
  tokens.earlyPair = await getPair(tokens.early)
  read.earlyLp = await balanceOf(tokens.earlyPair, creator)

  await oneBlock({
    buy: () => call(trader, { address: deployment.router, abi: routerAbi, functionName: 'swapExactETHForTokens', args: [0n, [deployment.wcore, tokens.frog], trader, maxUint256], value: amounts.buyCore }),
    frogToHolder: () => call(creator, { address: tokens.frog, abi: erc20Abi, functionName: 'transfer', args: [holder, amounts.frogToHolder] }),
    quiet2: () => call(holder, { address: tokens.quiet, abi: erc20Abi, functionName: 'transfer', args: [trader, 7n] }),
    earlyToHolder: () => call(creator, { address: tokens.early, abi: erc20Abi, functionName: 'transfer', args: [holder, amounts.earlyToHolder] }),
  })
  read.frogBought = await balanceOf(tokens.frog, trader)
  read.lpToDead = read.frogLp / 2n
  await mined('lpToDead', call(creator, { address: tokens.frogPair, abi: erc20Abi, functionName: 'transfer', args: [DEAD, read.lpToDead] }))
}

/** A consumer's tracking: what a launch or a pair announces, as an indexer would add it. */
function tracking(exclude: Address[]) {
  const tracked = new Set<string>()
  const skip = new Set(exclude.map((a) => a.toLowerCase()))
  const note = (events: ChainEvent[]) => {
    for (const event of events) {
      if (event.kind !== 'block') continue
      for (const l of event.logs) {
        const named = l.kind === 'tokenCreated' ? [l.token] : l.kind === 'pairCreated' ? [l.token0, l.token1, l.pair] : []
        for (const a of named) if (!skip.has(a.toLowerCase())) tracked.add(a.toLowerCase())
      }
    }
  }
  return { tracked, note }
}

function follow(rec: EventRecorder, options: Partial<ChainFollowerOptions> = {}): ChainFollower {
  const exclude = [deployment.wcore, deployment.usd]
  const { tracked, note } = tracking(exclude)
  const follower = createChainFollower({
    rpcUrl: anvil.rpcUrl,
    dexes: [{ name: deployment.dexName, factory: deployment.factory }],
    launchers: [deployment.launcher],
    finalityDepth: 50,
    pollIntervalMs: 20,
    startBlock,
    checkpoint: createMemoryCheckpoint(),
    logger: testLogger(),
    retryBaseMs: 10,
    transfers: { tracked: () => tracked, exclude },
    onEvents: async (events) => {
      note(events)
      await rec.onEvents(events)
    },
    ...options,
  })
  stops.push(() => follower.stop())
  return follower
}

async function caughtUp(follower: ChainFollower) {
  const head = await client.getBlockNumber()
  await waitFor(() => (follower.status().processed ?? -1n) >= head, { message: `processed reaches ${head}` })
}

async function proxied(): Promise<RpcProxy> {
  const proxy = await startRpcProxy(anvil.rpcUrl)
  stops.push(() => proxy.close())
  return proxy
}

const isTransferCall = (c: RpcCall) => c.method === 'eth_getLogs' && (c.params[0] as { topics: unknown[] }).topics[0] === transferTopic
const isDexCall = (c: RpcCall) => c.method === 'eth_getLogs' && Array.isArray((c.params[0] as { topics: unknown[] }).topics[0])
const spanOf = (c: RpcCall) => {
  const { fromBlock, toBlock } = c.params[0] as { fromBlock: string; toBlock: string }
  return [BigInt(fromBlock), BigInt(toBlock)] as const
}
const transfersOf = (rec: EventRecorder) => rec.logs().filter((l): l is TransferLog => l.kind === 'transfer')
const blockOf = (name: string) => (receipts[name] as TransactionReceipt).blockNumber
const txOf = (name: string) => (receipts[name] as TransactionReceipt).transactionHash

/** What the follower should emit for a transfer of `token` in transaction `name`. */
const transfer = (name: string, token: Address, sender: Address, recipient: Address, value: bigint, from = creator) => ({
  kind: 'transfer',
  token,
  address: token,
  sender,
  recipient,
  value,
  txHash: txOf(name),
  blockNumber: blockOf(name),
  from,
})

beforeAll(async () => {
  anvil = await startAnvil({ port: 0 })
  deployment = await deployDevnet({ rpcUrl: anvil.rpcUrl, wsUrl: anvil.wsUrl })
  client = createClient(anvil.rpcUrl)
  ;[, creator, trader, holder] = (await client.getAddresses()).map((a) => getAddress(a)) as [Address, Address, Address, Address]
  startBlock = (await client.getBlockNumber()) + 1n
  live = follow(liveRec)
  await live.start()
  await runScenario()
  await caughtUp(live)
})

afterAll(async () => {
  for (const stop of stops.reverse()) await stop()
  await anvil?.stop()
})

describe('chain follower transfers', () => {
  it('emits only the blocks with kept logs: the launch, the pairing, the trades and the transfer-only block', () => {
    expect(liveRec.blocks().map((b) => b.block.number)).toEqual([blockOf('create'), blockOf('addEarly'), blockOf('buy'), blockOf('lpToDead')])
    expect(blockOf('create')).toBe(blockOf('addFrog'))
    expect(liveRec.blocks().at(-1)?.logs).toMatchObject([transfer('lpToDead', tokens.frogPair, creator, DEAD, read.lpToDead)])
  })

  it('delivers a launched token from its launch block: the mint, the liquidity sent to the pair, the LP mint, in log order', () => {
    const block = liveRec.blocks()[0]
    expect(block?.logs).toMatchObject([
      transfer('create', tokens.frog, zeroAddress, creator, FROG_SUPPLY),
      { kind: 'tokenCreated', token: tokens.frog, txHash: txOf('create') },
      { kind: 'pairCreated', pair: tokens.frogPair, txHash: txOf('addFrog') },
      transfer('addFrog', tokens.frog, creator, tokens.frogPair, amounts.frogLiquidity),
      transfer('addFrog', tokens.frogPair, zeroAddress, zeroAddress, 1000n), // MINIMUM_LIQUIDITY, locked
      transfer('addFrog', tokens.frogPair, zeroAddress, creator, read.frogLp),
      { kind: 'sync', pair: tokens.frogPair, txHash: txOf('addFrog') },
      { kind: 'mint', pair: tokens.frogPair, txHash: txOf('addFrog') },
    ])
  })

  it('delivers an already deployed token from the block that pairs it, nothing of its history', () => {
    expect(liveRec.blocks()[1]?.logs).toMatchObject([
      { kind: 'pairCreated', pair: tokens.earlyPair, txHash: txOf('addEarly') },
      transfer('addEarly', tokens.early, creator, tokens.earlyPair, amounts.earlyLiquidity),
      transfer('addEarly', tokens.earlyPair, zeroAddress, zeroAddress, 1000n),
      transfer('addEarly', tokens.earlyPair, zeroAddress, creator, read.earlyLp),
      { kind: 'sync', pair: tokens.earlyPair },
      { kind: 'mint', pair: tokens.earlyPair },
    ])
  })

  it('interleaves the transfers of tracked tokens with the swap logs of their block, in transaction and log order', () => {
    const byTx: Record<string, object[]> = {
      buy: [transfer('buy', tokens.frog, tokens.frogPair, trader, read.frogBought, trader), { kind: 'sync', pair: tokens.frogPair }, { kind: 'swap', pair: tokens.frogPair, to: trader }],
      frogToHolder: [transfer('frogToHolder', tokens.frog, creator, holder, amounts.frogToHolder)],
      quiet2: [],
      earlyToHolder: [transfer('earlyToHolder', tokens.early, creator, holder, amounts.earlyToHolder)],
    }
    const order = Object.keys(byTx).sort((a, b) => (receipts[a] as TransactionReceipt).transactionIndex - (receipts[b] as TransactionReceipt).transactionIndex)
    expect(new Set(order.map(blockOf)).size).toBe(1)
    expect(liveRec.blocks()[2]?.logs).toMatchObject(order.flatMap((name) => byTx[name] as object[]))
    expect(read.frogBought).toBeGreaterThan(0n)
  })

  it('gives every transfer the logIndex of its log in the receipt, and never a WCORE or untracked token transfer', () => {
    const all = Object.values(receipts).flatMap((r) => r.logs)
    for (const l of transfersOf(liveRec)) {
      const onChain = all.find((r) => r.transactionHash === l.txHash && r.logIndex === l.logIndex)
      expect(onChain && [getAddress(onChain.address), onChain.topics[0], onChain.blockHash]).toEqual([l.token, transferTopic, l.blockHash])
    }
    const wcoreTransfers = all.filter((r) => getAddress(r.address) === deployment.wcore && r.topics[0] === transferTopic)
    expect(wcoreTransfers.length).toBeGreaterThanOrEqual(3) // the chain had some: two in the launch, one in the buy
    const tokensSeen = new Set(transfersOf(liveRec).map((l) => l.token))
    expect(tokensSeen).toEqual(new Set([tokens.frog, tokens.frogPair, tokens.early, tokens.earlyPair]))
    const keys = liveRec.logs().map((l) => `${l.txHash}:${l.logIndex}`)
    expect(new Set(keys).size).toBe(keys.length)
  })

  it('backfills final blocks into the same blocks and logs as live following, and counts transfer calls apart', async () => {
    await client.mine({ blocks: 4 }) // the scenario is now final (depth 3)
    const proxy = await proxied()
    const reported: Record<GetLogsPurpose, number> = { dex: 0, transfers: 0, history: 0 }
    const rec = recordEvents()
    const f = follow(rec, { rpcUrl: proxy.url, finalityDepth: 3, onGetLogs: (_blocks, purpose) => void reported[purpose]++ })
    await f.start()
    await caughtUp(f)
    expect(rec.blocks()).toEqual(liveRec.blocks())
    const firstDex = proxy.calls.find(isDexCall)?.params[0] as { fromBlock: string; toBlock: string }
    expect([BigInt(firstDex.fromBlock), BigInt(firstDex.toBlock) >= blockOf('lpToDead')]).toEqual([startBlock, true]) // one backfill range

    const stats = f.stats()
    const transferCalls = proxy.calls.filter(isTransferCall).length
    expect(stats.getLogs).toEqual({ dex: proxy.calls.filter(isDexCall).length, transfers: transferCalls, history: 0 })
    expect(stats.getLogs.transfers).toBe(stats.getLogs.dex) // every range had targets, one chunk of addresses each
    expect(reported).toEqual(stats.getLogs)
    const blocks = (full: boolean) => proxy.calls.filter((c) => c.method.startsWith('eth_getBlockBy') && c.params[0] !== 'latest' && c.params[1] === full).length
    expect({ ...stats.blocks, latest: 0 }).toEqual({ withTransactions: blocks(true), byNumber: blocks(false), latest: 0 })
    // A head poll is counted as it is sent: one may not have reached the proxy yet.
    expect(stats.blocks.latest - proxy.calls.filter((c) => c.params[0] === 'latest').length).toBeOneOf([0, 1])
    expect(stats.pairLookups).toBe(0) // both pairs were announced by their PairCreated
    await f.stop()
  })

  it('with addressesPerCall 1, makes one call per tracked token and per range, never for an excluded one', async () => {
    const proxy = await proxied()
    const rec = recordEvents()
    const tracked = [tokens.frog, tokens.early, deployment.wcore]
    const f = follow(rec, {
      rpcUrl: proxy.url,
      startBlock: blockOf('buy'),
      finalityDepth: 3,
      maxBlockRange: 2,
      transfers: { tracked: () => tracked, exclude: [deployment.wcore, deployment.usd], addressesPerCall: 1 },
    })
    await f.start()
    await caughtUp(f)
    const byWhere = new Map<string, string[][]>()
    for (const c of proxy.calls.filter(isTransferCall)) {
      const { address, fromBlock, toBlock, blockHash } = c.params[0] as { address: string[]; fromBlock?: string; toBlock?: string; blockHash?: string }
      const key = blockHash ?? `${fromBlock}-${toBlock}`
      byWhere.set(key, [...(byWhere.get(key) ?? []), address])
    }
    const both = [[tokens.early.toLowerCase()], [tokens.frog.toLowerCase()]].sort()
    expect([...byWhere.values()].map((calls) => calls.sort())).toEqual([...byWhere.keys()].map(() => both))
    expect(byWhere.size).toBe(proxy.calls.filter(isDexCall).length)
    expect(f.stats().getLogs.transfers).toBe(2 * byWhere.size)
    const wanted = new Set([tokens.frog, tokens.early])
    expect(transfersOf(rec)).toEqual(transfersOf(liveRec).filter((l) => l.blockNumber >= blockOf('buy') && wanted.has(l.token)))
    await f.stop()
  })

  it('transferHistory reads a token\'s transfers before it was first seen, in order, shrinking a refused range and retrying', async () => {
    const proxy = await proxied()
    let unavailable = 1
    proxy.intercept = (c) => {
      if (!isTransferCall(c)) return undefined
      if (unavailable-- > 0) return { httpStatus: 503, body: 'busy' }
      const { fromBlock, toBlock } = c.params[0] as { fromBlock: string; toBlock: string }
      return Number(toBlock) - Number(fromBlock) + 1 > 3 ? { error: { code: -32005, message: 'query returned more than 10000 results' } } : undefined
    }
    const f = follow(recordEvents(), { rpcUrl: proxy.url, maxBlockRange: 16 })
    const firstSeen = blockOf('addEarly')
    const history = await f.transferHistory({ token: tokens.early.toLowerCase(), fromBlock: 0n, toBlock: firstSeen - 1n })
    const record = (name: string, sender: Address, recipient: Address, value: bigint) => {
      const receipt = receipts[name] as TransactionReceipt
      const [onChain] = receipt.logs.filter((l) => l.topics[0] === transferTopic)
      return { token: tokens.early, sender, recipient, value, blockNumber: receipt.blockNumber, txHash: receipt.transactionHash, logIndex: onChain?.logIndex }
    }
    expect(history).toEqual([
      record('deploy EARLY', zeroAddress, creator, EARLY_SUPPLY),
      record('handout1', creator, holder, amounts.handout1),
      record('handout2', creator, trader, amounts.handout2),
    ])
    const ranges = proxy.calls.filter(isTransferCall).map(spanOf)
    const accepted = ranges.slice(1).filter(([from, to]) => to - from + 1n <= 3n)
    expect(ranges.length).toBeGreaterThan(accepted.length + 1) // a 503, then refusals
    expect(accepted.map(([from]) => from)).toEqual(accepted.map((_, i) => (i === 0 ? 0n : accepted[i - 1]![1] + 1n))) // no gap, no overlap
    expect(accepted.at(-1)?.[1]).toBe(firstSeen - 1n)
    expect(f.stats().getLogs).toEqual({ dex: 0, transfers: 0, history: ranges.length })

    // The limit is learned: a second read is not refused. With what the follower delivered, nothing is missing or twice.
    const before = proxy.calls.length
    expect(await f.transferHistory({ token: tokens.early, fromBlock: 0n, toBlock: firstSeen - 1n })).toEqual(history)
    expect(proxy.calls.slice(before).map(spanOf).every(([from, to]) => to - from + 1n <= 3n)).toBe(true)
    const onChain = await client.getLogs({ address: tokens.early, event: erc20TransferAbi[0], fromBlock: 0n })
    const delivered = [...history, ...transfersOf(liveRec).filter((l) => l.token === tokens.early)].map((l) => `${l.txHash}:${l.logIndex}`)
    expect(delivered).toEqual(onChain.map((l) => `${l.transactionHash}:${l.logIndex}`))
    expect(await f.transferHistory({ token: tokens.early, fromBlock: 5n, toBlock: 4n })).toEqual([])
    await expect(f.transferHistory({ token: 'early', fromBlock: 0n, toBlock: 4n })).rejects.toThrow(/token must be an address/)
  })

  it('fetchRange emits a block with only transfers, and skips transfers already emitted', async () => {
    const rpc = createChainRpc({ rpcUrl: anvil.rpcUrl })
    const factories = new Map([[deployment.factory.toLowerCase(), deployment.dexName]])
    const ctx: RangeContext = {
      rpc,
      scope: { factories, launchers: new Set([deployment.launcher.toLowerCase()]) },
      pairs: createPairResolver({ client: rpc.client, factories }),
      recent: createRecentLogs(10),
      transfers: { tracked: () => [tokens.frogPair], exclude: new Set([deployment.wcore.toLowerCase()]), addressesPerCall: 500 },
    }
    const w = blockOf('lpToDead')
    const expected = liveRec.blocks().filter((b) => b.block.number === w)
    expect((await fetchRange(ctx, w, w, { live: false })).blocks).toEqual(expected)
    expect((await fetchRange(ctx, w, w, { live: true })).blocks).toEqual(expected)
    const [sent] = expected[0]?.logs as DecodedLog[]
    ctx.recent.add(sent!.txHash, sent!.logIndex)
    expect((await fetchRange(ctx, w, w, { live: true })).blocks).toEqual([])
    expect((await fetchRange(ctx, w, w, { live: false })).blocks).toEqual([])
  })

  it('reports a reorged transfer in the reorg event and emits the new branch\'s transfer', async () => {
    const snapshot = await client.snapshot()
    const old = await mined('reorged', call(creator, { address: tokens.frog, abi: erc20Abi, functionName: 'transfer', args: [trader, 1n] }))
    await waitFor(() => transfersOf(liveRec).some((l) => l.txHash === old.transactionHash), { message: 'the transfer is emitted' })
    const index = liveRec.events.length
    await client.revert({ id: snapshot })
    const replacement = await mined('replacement', call(creator, { address: tokens.frog, abi: erc20Abi, functionName: 'transfer', args: [holder, 2n] }))
    await waitFor(() => transfersOf(liveRec).some((l) => l.txHash === replacement.transactionHash), { message: 'the new transfer is emitted' })
    const after = liveRec.events.slice(index)
    expect(after.filter((e) => e.kind === 'reorg')).toEqual([
      expect.objectContaining({ removed: [expect.objectContaining({ number: old.blockNumber, hash: old.blockHash })], txHashes: [old.transactionHash] }),
    ])
    const blocks = after.filter((e) => e.kind === 'block')
    expect(blocks.map((b) => b.logs)).toMatchObject([[transfer('replacement', tokens.frog, creator, holder, 2n)]])
  })
})
