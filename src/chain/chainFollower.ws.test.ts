import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deployFixtureDex, recordEvents, startDevChain, testLogger, type DevChain, type EventRecorder, type FixtureDex } from '../../test/support/chainHarness.js'
import { startTcpProxy, type TcpProxy } from '../../test/support/tcpProxy.js'
import { waitFor } from '../../test/support/waitFor.js'
import { createChainFollower, type ChainFollower, type ChainFollowerOptions } from './chainFollower.js'
import { createMemoryCheckpoint } from './checkpoint.js'
import type { SyncLog } from './events.js'

let chain: DevChain
let dex: FixtureDex
let proxy: TcpProxy
const followers: ChainFollower[] = []

beforeAll(async () => {
  chain = await startDevChain()
  dex = await deployFixtureDex(chain)
  proxy = await startTcpProxy(chain.anvil.port)
})

afterAll(async () => {
  await Promise.all(followers.map((f) => f.stop()))
  await proxy?.close()
  await chain?.stop()
})

async function sync(reserve0: bigint) {
  return chain.write(dex.pair, chain.artifacts.FixturePair.abi, 'sync', [reserve0, 1n])
}

/** A follower whose WebSocket goes through the proxy; HTTP goes straight to anvil. Polling is slow on purpose. */
async function follow(options: Partial<ChainFollowerOptions> & { onEvents: ChainFollowerOptions['onEvents'] }): Promise<ChainFollower> {
  const follower = createChainFollower({
    startBlock: (await chain.client.getBlockNumber()) + 1n,
    rpcUrl: chain.anvil.rpcUrl,
    wsUrl: `ws://127.0.0.1:${proxy.port}`,
    dexes: [{ name: 'fixture', factory: dex.factory }],
    finalityDepth: 5,
    pollIntervalMs: 60_000,
    checkpoint: createMemoryCheckpoint(),
    logger: testLogger(),
    wsBackoffBaseMs: 20,
    wsBackoffMaxMs: 100,
    retryBaseMs: 10,
    ...options,
  })
  followers.push(follower)
  return follower
}

const reserves = (rec: EventRecorder) => rec.logs().flatMap((l) => (l.kind === 'sync' ? [(l as SyncLog).reserve0] : []))

async function seen(rec: EventRecorder, reserve0: bigint) {
  await waitFor(() => reserves(rec).includes(reserve0), { message: `Sync(${reserve0}) emitted` })
}

describe('chain follower over WebSocket', () => {
  it('follows newHeads (polling every minute would be far too slow to pass)', async () => {
    const rec = recordEvents()
    const f = await follow({ onEvents: rec.onEvents })
    await f.start()
    await waitFor(() => proxy.accepted > 0)
    for (let i = 1n; i <= 5n; i++) await sync(i)
    await seen(rec, 5n)
    expect(f.status().mode).toBe('ws')
    expect(reserves(rec)).toEqual([1n, 2n, 3n, 4n, 5n])
    await f.stop()
  })

  it('reconnects after the connection is cut and backfills what it missed, exactly once', async () => {
    const rec = recordEvents()
    const f = await follow({ onEvents: rec.onEvents, wsFailuresBeforePoll: 1000 })
    await f.start()
    await sync(10n)
    await seen(rec, 10n)
    const accepted = proxy.accepted

    proxy.refuse(true) // cut, and keep refusing while blocks are mined
    for (let i = 11n; i <= 14n; i++) await sync(i)
    proxy.refuse(false)
    await waitFor(() => proxy.accepted > accepted, { message: 'reconnected' })
    await seen(rec, 14n) // only the resync after reconnecting can bring these: polling is once a minute
    proxy.cutAll() // a plain drop, reconnect at once
    for (let i = 15n; i <= 17n; i++) await sync(i)
    await seen(rec, 17n)

    expect(reserves(rec)).toEqual([10n, 11n, 12n, 13n, 14n, 15n, 16n, 17n])
    expect(f.status().mode).toBe('ws')
    await f.stop()
  })

  it('drops a connection that stops answering pings, reconnects and misses nothing', async () => {
    const rec = recordEvents()
    const f = await follow({ onEvents: rec.onEvents, wsPingIntervalMs: 50, wsFailuresBeforePoll: 1000 })
    await f.start()
    await sync(30n)
    await seen(rec, 30n)
    const accepted = proxy.accepted
    proxy.freeze() // no FIN, no RST: only the missing pong tells
    await sync(31n)
    await waitFor(() => proxy.accepted > accepted, { message: 'reconnected after a missed pong' })
    await sync(32n)
    await seen(rec, 32n)
    expect(reserves(rec)).toEqual([30n, 31n, 32n])
    await f.stop()
  })

  it('falls back to polling after repeated WebSocket failures and returns to newHeads once it is back', async () => {
    const rec = recordEvents()
    const f = await follow({ onEvents: rec.onEvents, wsFailuresBeforePoll: 2, pollIntervalMs: 30 })
    await f.start()
    await sync(20n)
    await seen(rec, 20n)

    proxy.refuse(true)
    await waitFor(() => f.status().mode === 'poll', { message: 'fell back to polling' })
    for (let i = 21n; i <= 23n; i++) await sync(i)
    await seen(rec, 23n)

    proxy.refuse(false)
    await waitFor(() => f.status().mode === 'ws', { message: 'back on newHeads' })
    for (let i = 24n; i <= 26n; i++) await sync(i)
    await seen(rec, 26n)
    expect(reserves(rec)).toEqual([20n, 21n, 22n, 23n, 24n, 25n, 26n])
    await f.stop()
  })
})
