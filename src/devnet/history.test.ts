import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { encodeFunctionData, toEventSelector, type Hex } from 'viem'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { coreMemeFactoryAbi, coreMemePairAbi } from './abis.js'
import { countHistoryLogs, generateHistory, planHistory, startHistoryDevnet, stripTraces, type GeneratedHistory, type HistoryDevnet, type RunningChain } from './history.js'

type Block = { number: Hex; hash: Hex; parentHash: Hex; timestamp: Hex }
type Log = { blockNumber: Hex; blockHash: Hex; transactionHash: Hex; logIndex: Hex; address: Hex; topics: Hex[]; data: Hex }

/** JSON-RPC batch over fetch; results in call order. */
async function batch<T>(rpcUrl: string, calls: [string, unknown[]][]): Promise<T[]> {
  const res = await fetch(rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(calls.map(([method, params], id) => ({ jsonrpc: '2.0', id, method, params }))) })
  const replies = (await res.json()) as { id: number; result: T; error?: { message: string } }[]
  const out: T[] = []
  for (const r of replies) {
    if (r.error) throw new Error(r.error.message)
    out[r.id] = r.result
  }
  return out
}

const call = async <T>(rpcUrl: string, method: string, params: unknown[] = []) => (await batch<T>(rpcUrl, [[method, params]]))[0]!
const allLogs = (rpcUrl: string, toBlock: number) => call<Log[]>(rpcUrl, 'eth_getLogs', [{ fromBlock: '0x0', toBlock: `0x${toBlock.toString(16)}` }])

const SMALL = { seed: 7, tokens: 5, swaps: 50, removals: 1, hours: 2, blockTimeSec: 3, wallets: 12 } as const
const END = Math.floor(Date.now() / 1000)

describe('generateHistory (5 tokens, 50 swaps, 2 h of 3 s blocks)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'core-meme-history-'))
  let history: GeneratedHistory
  let chain: RunningChain
  let loaded: HistoryDevnet | undefined

  beforeAll(async () => {
    history = await generateHistory({ ...SMALL, endTimestamp: END, out: dir, keepRunning: true })
    chain = history.running!
  })

  afterAll(async () => {
    await loaded?.stop()
    await chain?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  test('reports exactly what is on chain, and nothing reverted', async () => {
    expect(history).toMatchObject({ launches: 5, swaps: 50, removals: 1, reverted: 0 })
    expect(history.buys + history.sells).toBe(50)
    expect(history.sells).toBeGreaterThan(0)
    const counts = await countHistoryLogs(chain.rpcUrl, history.deployment, 0, history.toBlock)
    // PairCreated: one per launch plus the deployment's WCORE/USDT pair.
    expect(counts).toEqual({ tokenCreated: 5, pairCreated: 6, swaps: 50, burns: 1 })
    // Every log is in a deployment block or a block the plan made busy.
    for (const log of await allLogs(chain.rpcUrl, history.toBlock)) {
      const n = Number(log.blockNumber)
      expect(n < history.plan.firstBlock || history.plan.blocks.has(n)).toBe(true)
    }
  })

  test('blocks cover the window, one every blockTimeSec, each the child of the one before', async () => {
    expect(history.toBlock).toBe((2 * 3600) / 3)
    expect(history.toTimestamp).toBe(END)
    expect(history.genesisTimestamp).toBe(END - 2 * 3600)
    expect(history.fromTimestamp).toBe(history.genesisTimestamp + 3 * history.fromBlock)
    const blocks = await batch<Block>(chain.rpcUrl, Array.from({ length: history.toBlock + 1 }, (_, n): [string, unknown[]] => ['eth_getBlockByNumber', [`0x${n.toString(16)}`, false]]))
    blocks.forEach((block, n) => {
      expect(Number(block.number)).toBe(n)
      expect(Number(block.timestamp)).toBe(history.genesisTimestamp + 3 * n)
      if (n > 0) expect(block.parentHash).toBe(blocks[n - 1]!.hash)
    })
  })

  test('anvil started from the saved state serves the same blocks, logs and contract state', async () => {
    loaded = await startHistoryDevnet({ dir })
    expect(loaded.deployment).toEqual({ ...history.deployment, rpcUrl: loaded.anvil.rpcUrl, wsUrl: loaded.anvil.wsUrl })
    const [head, genesis] = await batch<Block>(loaded.anvil.rpcUrl, [['eth_getBlockByNumber', ['latest', false]], ['eth_getBlockByNumber', ['0x0', false]]])
    const [origHead, origGenesis] = await batch<Block>(chain.rpcUrl, [['eth_getBlockByNumber', ['latest', false]], ['eth_getBlockByNumber', ['0x0', false]]])
    expect(head).toEqual(origHead)
    expect(genesis!.hash).toBe(origGenesis!.hash)

    const logs = await allLogs(loaded.anvil.rpcUrl, history.toBlock)
    expect(logs.length).toBeGreaterThan(50)
    expect(logs).toEqual(await allLogs(chain.rpcUrl, history.toBlock))
    expect(await countHistoryLogs(loaded.anvil.rpcUrl, loaded.deployment, 0, history.toBlock)).toEqual({ tokenCreated: 5, pairCreated: 6, swaps: 50, burns: 1 })

    const { factory } = history.deployment
    const pairs = await call<Hex>(chain.rpcUrl, 'eth_call', [{ to: factory, data: encodeFunctionData({ abi: coreMemeFactoryAbi, functionName: 'allPairsLength' }) }, 'latest'])
    expect(await call<Hex>(loaded.anvil.rpcUrl, 'eth_call', [{ to: factory, data: encodeFunctionData({ abi: coreMemeFactoryAbi, functionName: 'allPairsLength' }) }, 'latest'])).toBe(pairs)
    const lastSwap = logs.findLast((l) => l.topics[0] === toEventSelector('Swap(address,uint256,uint256,uint256,uint256,address)'))!
    const getReserves = { to: lastSwap.address, data: encodeFunctionData({ abi: coreMemePairAbi, functionName: 'getReserves' }) }
    expect(await call<Hex>(loaded.anvil.rpcUrl, 'eth_call', [getReserves, 'latest'])).toBe(await call<Hex>(chain.rpcUrl, 'eth_call', [getReserves, 'latest']))
  })

  test('continueClock: a block mined after loading comes blockTimeSec after the saved head', async () => {
    const devnet = await startHistoryDevnet({ dir, continueClock: true })
    try {
      await call(devnet.anvil.rpcUrl, 'evm_mine')
      const head = await call<Block>(devnet.anvil.rpcUrl, 'eth_getBlockByNumber', ['latest', false])
      expect(Number(head.number)).toBe(history.toBlock + 1)
      expect(Number(head.timestamp)).toBe(END + 3)
    } finally {
      await devnet.stop()
    }
  })

  test('the same seed and end give the same transactions and logs after the deployment (block hashes differ: anvil draws prevrandao)', async () => {
    const again = await generateHistory({ ...SMALL, endTimestamp: END, keepRunning: true })
    try {
      expect(again.plan).toEqual(history.plan)
      const generated = async (rpcUrl: string) => (await allLogs(rpcUrl, history.toBlock)).filter((l) => Number(l.blockNumber) >= history.plan.firstBlock).map(({ blockHash: _, ...log }) => log)
      const logs = await generated(chain.rpcUrl)
      expect(logs.length).toBeGreaterThan(50)
      expect(await generated(again.running!.rpcUrl)).toEqual(logs)
    } finally {
      await again.running?.stop()
    }
  })
})

describe('planHistory', () => {
  const parameters = { seed: 3, tokens: 20, swaps: 400, removals: 2, wallets: 10, firstBlock: 9, lastBlock: 3000 }

  test('is a function of its parameters; sells follow a buy, removals follow the last trade', () => {
    const plan = planHistory(parameters)
    expect(planHistory(parameters)).toEqual(plan)
    expect(plan.launches).toHaveLength(20)
    expect(plan.swaps).toBe(400)
    expect(plan.removals).toBe(2)
    const firstBuy = new Map<string, number>()
    const lastTrade = new Map<number, number>()
    for (const block of [...plan.blocks.keys()].sort((a, b) => a - b)) {
      expect(block).toBeGreaterThanOrEqual(9)
      expect(block).toBeLessThanOrEqual(3000)
      for (const action of plan.blocks.get(block)!) {
        const launch = plan.launches[action.launch]!
        if (action.kind === 'create') expect(launch.createBlock).toBe(block)
        if (action.kind === 'addLiquidity') expect(block).toBeGreaterThan(launch.createBlock)
        if (action.kind === 'buy' || action.kind === 'sell') {
          expect(block).toBeGreaterThan(launch.liquidityBlock)
          lastTrade.set(action.launch, block)
        }
        if (action.kind === 'buy' && !firstBuy.has(`${action.wallet}:${action.launch}`)) firstBuy.set(`${action.wallet}:${action.launch}`, block)
        if (action.kind === 'sell') expect(block).toBeGreaterThan(firstBuy.get(`${action.wallet}:${action.launch}`)!)
        if (action.kind === 'remove') {
          expect(launch.removeBlock).toBe(block)
          expect(block).toBeGreaterThan(lastTrade.get(action.launch) ?? launch.liquidityBlock)
        }
      }
    }
  })
})

describe('stripTraces', () => {
  test('empties every traces array, brackets inside strings included, and keeps the rest', () => {
    const dump = JSON.stringify({ transactions: [{ info: { traces: [{ a: '] [', b: [[1], { c: '"' }] }], out: '0x' } }, { info: { traces: [], out: '0x1' } }] })
    expect(JSON.parse(stripTraces(Buffer.from(dump)).toString())).toEqual({ transactions: [{ info: { traces: [], out: '0x' } }, { info: { traces: [], out: '0x1' } }] })
  })
})
