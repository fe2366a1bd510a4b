import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deployFixtureDex, recordEvents, startDevChain, testLogger, type DevChain, type EventRecorder, type FixtureDex } from '../../test/support/chainHarness.js'
import { startRpcProxy, type RpcProxy } from '../../test/support/rpcProxy.js'
import { waitFor } from '../../test/support/waitFor.js'
import { createChainFollower, type ChainFollower, type ChainFollowerOptions } from './chainFollower.js'
import { createFileCheckpoint, createMemoryCheckpoint } from './checkpoint.js'
import type { SyncLog } from './events.js'

let chain: DevChain
let dex: FixtureDex
let dir: string
const followers: ChainFollower[] = []

beforeAll(async () => {
  chain = await startDevChain()
  dex = await deployFixtureDex(chain)
  dir = await mkdtemp(join(tmpdir(), 'chain-follower-'))
})

afterAll(async () => {
  await Promise.all(followers.map((f) => f.stop()))
  await chain?.stop()
  if (dir) await rm(dir, { recursive: true, force: true })
})

/** One transaction, one block, one Sync log whose reserve0 identifies it. */
async function sync(reserve0: bigint) {
  return chain.write(dex.pair, chain.artifacts.FixturePair.abi, 'sync', [reserve0, 1n])
}

function follow(options: Partial<ChainFollowerOptions> & { onEvents: ChainFollowerOptions['onEvents'] }): ChainFollower {
  const follower = createChainFollower({
    rpcUrl: chain.anvil.rpcUrl,
    dexes: [{ name: 'fixture', factory: dex.factory }],
    launchers: [dex.launcher],
    finalityDepth: 5,
    pollIntervalMs: 25,
    startBlock: 0n,
    maxBlockRange: 7,
    checkpoint: createMemoryCheckpoint(),
    logger: testLogger(),
    retryBaseMs: 10,
    ...options,
  })
  followers.push(follower)
  return follower
}

const reserves = (rec: EventRecorder) => rec.logs().flatMap((l) => (l.kind === 'sync' ? [(l as SyncLog).reserve0] : []))

async function caughtUp(follower: ChainFollower) {
  const head = await chain.client.getBlockNumber()
  await waitFor(() => (follower.status().processed ?? -1n) >= head, { message: `processed reaches ${head}` })
}

/** Checks the stream: blocks strictly ascending, logs in order, no (txHash, logIndex) twice. */
function expectWellFormed(rec: EventRecorder) {
  const numbers = rec.blocks().map((b) => b.block.number)
  expect(numbers).toEqual([...numbers].sort((a, b) => (a < b ? -1 : 1)))
  expect(new Set(numbers).size).toBe(numbers.length)
  const keys = rec.logs().map((l) => `${l.txHash}:${l.logIndex}`)
  expect(new Set(keys).size).toBe(keys.length)
}

describe('chain follower', () => {
  it('backfills from a file checkpoint, then follows live by polling, emitting every log exactly once', async () => {
    const file = join(dir, 'checkpoint.json')
    const first = recordEvents()
    const a = follow({ checkpoint: createFileCheckpoint(file), onEvents: first.onEvents })
    for (let i = 1n; i <= 12n; i++) await sync(i)
    await a.start()
    await caughtUp(a)
    await a.stop()
    expect(reserves(first)).toEqual(Array.from({ length: 12 }, (_, i) => BigInt(i + 1)))
    expect(first.logs().filter((l) => l.kind === 'pairCreated')).toHaveLength(1)

    for (let i = 13n; i <= 30n; i++) await sync(i) // missed while stopped: backfilled
    const second = recordEvents()
    let inFlight = 0
    let maxInFlight = 0
    const b = follow({
      checkpoint: createFileCheckpoint(file),
      startBlock: 999_999n, // ignored: the checkpoint wins
      onEvents: async (events) => {
        maxInFlight = Math.max(maxInFlight, ++inFlight)
        await new Promise((resolve) => setTimeout(resolve, 2))
        await second.onEvents(events)
        inFlight--
      },
    })
    await b.start()
    expect(b.status().mode).toBe('backfill')
    for (let i = 31n; i <= 40n; i++) await sync(i) // while it catches up and once it is live
    await caughtUp(b)
    expect(b.status().mode).toBe('poll')
    expect(reserves(second)).toEqual(Array.from({ length: 28 }, (_, i) => BigInt(i + 13)))
    expect(second.logs().some((l) => l.kind === 'pairCreated')).toBe(false)
    expect(maxInFlight).toBe(1)
    expectWellFormed(second)
    const head = second.events.findLast((e) => e.kind === 'head')
    expect(head?.kind === 'head' && head.block.number).toBe(await chain.client.getBlockNumber())
  })

  it('emits blocks with their header, decoded logs with pair info and the transaction sender', async () => {
    const rec = recordEvents()
    const f = follow({ onEvents: rec.onEvents })
    const { hash, blockNumber } = await sync(4242n)
    await f.start()
    await caughtUp(f)
    const block = rec.blocks().find((b) => b.block.number === blockNumber)
    const onChain = await chain.client.getBlock({ blockNumber })
    expect(block?.block).toEqual({ number: blockNumber, hash: onChain.hash, parentHash: onChain.parentHash, timestamp: onChain.timestamp })
    expect(block?.logs).toEqual([
      {
        kind: 'sync',
        pair: dex.pair,
        reserve0: 4242n,
        reserve1: 1n,
        dex: 'fixture',
        factory: dex.factory,
        token0: dex.token0,
        token1: dex.token1,
        blockNumber,
        blockHash: onChain.hash,
        txHash: hash,
        logIndex: 0,
        address: dex.pair,
        from: '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266',
      },
    ])
  })

  it('emits finalize for blocks finalityDepth behind the head, monotonically', async () => {
    const rec = recordEvents()
    const f = follow({ onEvents: rec.onEvents, startBlock: undefined, backfillBlocks: 3 })
    await f.start()
    for (let i = 0n; i < 8n; i++) await sync(i)
    await caughtUp(f)
    const finalized = rec.events.flatMap((e) => (e.kind === 'finalize' ? [e.block.number] : []))
    const head = await chain.client.getBlockNumber()
    expect(finalized.at(-1)).toBe(head - 5n)
    expect(finalized).toEqual([...new Set(finalized)].sort((a, b) => (a < b ? -1 : 1)))
    const last = await chain.client.getBlock({ blockNumber: head - 5n })
    expect(rec.events.findLast((e) => e.kind === 'finalize')).toEqual({ kind: 'finalize', block: { number: head - 5n, hash: last.hash } })
  })

  it('delivers a range again when onEvents throws, and saves the checkpoint only after it resolves', async () => {
    const checkpoint = createMemoryCheckpoint()
    const rec = recordEvents()
    let failed = 0
    const startBlock = (await chain.client.getBlockNumber()) + 1n
    const f = follow({
      startBlock,
      checkpoint,
      onEvents: async (events) => {
        if (events.some((e) => e.kind === 'block') && failed++ === 0) {
          expect(checkpoint.current).toBeNull()
          throw new Error('consumer failed')
        }
        await rec.onEvents(events)
      },
    })
    await f.start()
    await sync(9001n)
    await caughtUp(f)
    expect(failed).toBe(2)
    expect(reserves(rec)).toEqual([9001n])
    expect(checkpoint.current?.block.number).toBe(await chain.client.getBlockNumber())
  })

  it('stop() waits for the onEvents call in progress and its checkpoint save, then emits nothing more', async () => {
    const checkpoint = createMemoryCheckpoint()
    let release: () => void = () => {}
    let calls = 0
    const startBlock = (await chain.client.getBlockNumber()) + 1n
    const f = follow({
      startBlock,
      checkpoint,
      onEvents: async () => {
        calls++
        await new Promise<void>((resolve) => (release = resolve))
      },
    })
    await sync(9002n)
    await f.start()
    await waitFor(() => calls === 1)
    let stopped = false
    const stopping = f.stop().then(() => (stopped = true))
    await new Promise((resolve) => setTimeout(resolve, 30))
    expect(stopped).toBe(false)
    release()
    await stopping
    expect(checkpoint.current?.block.number).toBe(startBlock)
    await sync(9003n)
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(calls).toBe(1)
  })

  describe('through an RPC proxy', () => {
    let proxy: RpcProxy
    beforeAll(async () => {
      proxy = await startRpcProxy(chain.anvil.rpcUrl)
    })
    afterAll(() => proxy.close())

    it('halves the getLogs range on "query returned more than" errors until the node accepts it', async () => {
      const limit = 6
      proxy.calls.length = 0
      proxy.intercept = ({ method, params }) => {
        const filter = params[0] as { fromBlock?: string; toBlock?: string }
        if (method !== 'eth_getLogs' || !filter.fromBlock) return undefined // by blockHash: one block
        if (Number(filter.toBlock) - Number(filter.fromBlock) + 1 <= limit) return undefined
        return { error: { code: -32005, message: 'query returned more than 10000 results' } }
      }
      const rec = recordEvents()
      const f = follow({ rpcUrl: proxy.url, maxBlockRange: 40, onEvents: rec.onEvents })
      await f.start()
      await caughtUp(f)
      const ranges = proxy.calls
        .filter((c) => c.method === 'eth_getLogs' && (c.params[0] as { fromBlock?: string }).fromBlock)
        .map((c) => c.params[0] as { fromBlock: string; toBlock: string })
        .map((p) => Number(p.toBlock) - Number(p.fromBlock) + 1)
      // refused ×3, accepted, then a binary search between 5 (works) and 10 (refused) settles on 6
      expect(ranges.slice(0, 8)).toEqual([40, 20, 10, 5, 7, 5, 6, 6])
      expect(ranges.slice(7).every((size) => size <= limit)).toBe(true)
      const head = await chain.client.getBlockNumber()
      const expected = await chain.client.getLogs({ address: dex.pair, fromBlock: 0n, toBlock: head })
      expect(rec.logs().filter((l) => l.kind === 'sync')).toHaveLength(expected.length)
      expectWellFormed(rec)
    })

    it('takes the newest block\'s logs by its hash, and retries while the node does not know it yet', async () => {
      let refused = 0
      proxy.intercept = ({ method, params }) => {
        const byHash = method === 'eth_getLogs' && (params[0] as { blockHash?: string }).blockHash
        return byHash && refused++ < 2 ? { error: { code: -32000, message: 'unknown block' } } : undefined
      }
      const rec = recordEvents()
      const f = follow({ rpcUrl: proxy.url, startBlock: (await chain.client.getBlockNumber()) + 1n, onEvents: rec.onEvents })
      await f.start()
      await sync(4343n)
      await caughtUp(f)
      expect(refused).toBeGreaterThanOrEqual(2)
      expect(reserves(rec)).toEqual([4343n])
      proxy.intercept = null
    })

    it('retries retryable errors (HTTP 503, rate limits) and misses nothing', async () => {
      let failures = 0
      proxy.intercept = ({ method }) => {
        if (method === 'eth_getLogs' && failures < 3) return failures++, { httpStatus: 503, body: 'busy' }
        if (method === 'eth_getBlockByNumber' && failures >= 3 && failures < 6) {
          return failures++, { error: { code: 429, message: 'Too many requests' } }
        }
        return undefined
      }
      const rec = recordEvents()
      const f = follow({ rpcUrl: proxy.url, onEvents: rec.onEvents })
      await f.start()
      await sync(777n)
      await caughtUp(f)
      expect(failures).toBe(6)
      expect(reserves(rec)).toContain(777n)
      expectWellFormed(rec)
    })
  })
})
