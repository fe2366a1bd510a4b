import { Writable } from 'node:stream'
import { pino } from 'pino'
import { encodeFunctionData } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ACCOUNT, deployFixtureDex, recordEvents, startDevChain, testLogger, type DevChain, type EventRecorder, type FixtureDex } from '../../test/support/chainHarness.js'
import { waitFor } from '../../test/support/waitFor.js'
import { createChainFollower, type ChainFollower, type ChainFollowerOptions } from './chainFollower.js'
import { createMemoryCheckpoint } from './checkpoint.js'
import type { SyncLog } from './events.js'

let chain: DevChain
let dex: FixtureDex
const followers: ChainFollower[] = []

beforeAll(async () => {
  chain = await startDevChain()
  dex = await deployFixtureDex(chain)
})

afterAll(async () => {
  await Promise.all(followers.map((f) => f.stop()))
  await chain?.stop()
})

async function sync(reserve0: bigint) {
  return chain.write(dex.pair, chain.artifacts.FixturePair.abi, 'sync', [reserve0, 1n])
}

function follow(options: Partial<ChainFollowerOptions> & { onEvents: ChainFollowerOptions['onEvents'] }): ChainFollower {
  const follower = createChainFollower({
    rpcUrl: chain.anvil.rpcUrl,
    dexes: [{ name: 'fixture', factory: dex.factory }],
    finalityDepth: 8,
    pollIntervalMs: 20,
    backfillBlocks: 1,
    checkpoint: createMemoryCheckpoint(),
    logger: testLogger(),
    retryBaseMs: 10,
    ...options,
  })
  followers.push(follower)
  return follower
}

async function processedTo(follower: ChainFollower, head?: bigint) {
  const target = head ?? (await chain.client.getBlockNumber())
  await waitFor(() => follower.status().processed === target, { message: `processed reaches ${target}` })
}

const reservesAfter = (rec: EventRecorder, index: number) =>
  rec.events.slice(index).flatMap((e) => (e.kind === 'block' ? e.logs.flatMap((l) => (l.kind === 'sync' ? [(l as SyncLog).reserve0] : [])) : []))

describe('chain follower reorgs', () => {
  it.each([
    { heads: 'polling', ws: false },
    { heads: 'newHeads', ws: true },
  ])('undoes a reverted branch (evm_snapshot/evm_revert) once and follows the new one ($heads)', async ({ ws }) => {
    const rec = recordEvents()
    const f = follow({ onEvents: rec.onEvents, wsUrl: ws ? chain.anvil.wsUrl : undefined })
    await f.start()
    const snapshot = await chain.client.snapshot()
    const ancestor = await chain.client.getBlock()
    const old = [await sync(100n), await sync(101n), await sync(102n)]
    await processedTo(f)
    const before = rec.events.length

    await chain.client.revert({ id: snapshot })
    for (let i = 200n; i < 204n; i++) await sync(i)
    await processedTo(f, ancestor.number + 4n)

    const reorgs = rec.reorgs()
    expect(reorgs).toHaveLength(1)
    const [reorg] = reorgs
    expect(reorg?.commonAncestor).toEqual({ number: ancestor.number, hash: ancestor.hash })
    expect(reorg?.removed.map((b) => b.number)).toEqual([3n, 2n, 1n].map((d) => ancestor.number + d))
    const emitted = rec.blocks().filter((b) => old.some((o) => o.hash === b.logs[0]?.txHash))
    expect(reorg?.removed).toEqual(emitted.map((b) => ({ number: b.block.number, hash: b.block.hash, parentHash: b.block.parentHash })).reverse())
    expect(reorg?.txHashes.toSorted()).toEqual(old.map((o) => o.hash).toSorted())
    expect(reservesAfter(rec, before)).toEqual([200n, 201n, 202n, 203n])
    const tip = await chain.client.getBlock()
    expect(rec.events.findLast((e) => e.kind === 'head')).toMatchObject({ block: { number: tip.number, hash: tip.hash } })
    await f.stop()
  })

  it('detects a reorg that keeps the head height (anvil_reorg) by the head hash, and emits the new branch', async () => {
    const rec = recordEvents()
    const f = follow({ onEvents: rec.onEvents })
    await f.start()
    const old = [await sync(300n), await sync(301n), await sync(302n)]
    const head = await chain.client.getBlockNumber()
    await processedTo(f, head)
    const before = rec.events.length
    const data = encodeFunctionData({ abi: chain.artifacts.FixturePair.abi, functionName: 'sync', args: [400n, 1n] })
    await chain.client.request({
      method: 'anvil_reorg' as never,
      params: [2, [[{ from: ACCOUNT, to: dex.pair, data }, 1]]] as never,
    })
    expect(await chain.client.getBlockNumber()).toBe(head)
    const tip = await chain.client.getBlock()
    await waitFor(() => rec.events.some((e) => e.kind === 'head' && e.block.hash === tip.hash), { message: 'new tip emitted' })

    const [reorg] = rec.reorgs()
    expect(rec.reorgs()).toHaveLength(1)
    expect(reorg?.commonAncestor.number).toBe(head - 2n)
    expect(reorg?.removed.map((b) => b.number)).toEqual([head, head - 1n])
    expect(reorg?.txHashes.toSorted()).toEqual([old[1]?.hash, old[2]?.hash].toSorted())
    expect(reservesAfter(rec, before)).toEqual([400n])
    await f.stop()
  })

  it('reports a reorg deeper than the finality depth as unrecoverable and resumes on the canonical chain', async () => {
    const lines: string[] = []
    const logger = pino({ level: 'warn' }, new Writable({ write: (chunk, _, done) => (lines.push(String(chunk)), done()) }))
    const rec = recordEvents()
    const f = follow({ onEvents: rec.onEvents, finalityDepth: 2, logger })
    await f.start()
    const snapshot = await chain.client.snapshot()
    const ancestor = await chain.client.getBlockNumber()
    for (let i = 500n; i < 505n; i++) await sync(i)
    await processedTo(f)
    await chain.client.revert({ id: snapshot })
    for (let i = 600n; i < 606n; i++) await sync(i)
    await processedTo(f, ancestor + 6n)

    const [reorg] = rec.reorgs()
    expect(rec.reorgs()).toHaveLength(1)
    expect(reorg?.removed.map((b) => b.number)).toEqual([5n, 4n, 3n].map((d) => ancestor + d)) // the window: depth + anchor
    expect(reorg?.commonAncestor.number).toBe(ancestor + 2n) // assumed: older blocks were final
    const errors = lines.map((l) => JSON.parse(l) as { level: number; msg: string }).filter((l) => l.level >= 50)
    expect(errors.map((e) => e.msg)).toEqual([expect.stringMatching(/deeper than the finality depth: unrecoverable/)])
    await f.stop()
  })

  it('remembers the window across restarts: a reorg while stopped still names the emitted transactions', async () => {
    const checkpoint = createMemoryCheckpoint()
    const first = recordEvents()
    const a = follow({ onEvents: first.onEvents, checkpoint })
    await a.start()
    const snapshot = await chain.client.snapshot()
    const ancestor = await chain.client.getBlock()
    const old = [await sync(700n), await sync(701n)]
    await processedTo(a)
    await a.stop()
    expect(checkpoint.current?.window.flatMap((b) => b.txHashes)).toEqual(expect.arrayContaining(old.map((o) => o.hash)))

    await chain.client.revert({ id: snapshot })
    for (let i = 800n; i < 803n; i++) await sync(i)
    const second = recordEvents()
    const b = follow({ onEvents: second.onEvents, checkpoint })
    await b.start()
    await processedTo(b, ancestor.number + 3n)
    expect(second.events[0]).toEqual({
      kind: 'reorg',
      commonAncestor: { number: ancestor.number, hash: ancestor.hash },
      removed: expect.any(Array),
      txHashes: expect.arrayContaining(old.map((o) => o.hash)),
    })
    expect(reservesAfter(second, 0)).toEqual([800n, 801n, 802n])
  })
})
