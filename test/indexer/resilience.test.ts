import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseEther, type Address } from 'viem'
import { startDevnet, type DevnetFixture } from '../support/devnet.js'
import { startTestServer, type TestServer } from '../support/server.js'
import { startTcpProxy } from '../support/tcpProxy.js'
import { waitFor } from '../support/waitFor.js'
import { connect, type Received } from '../support/wsClient.js'

let devnet: DevnetFixture
let token: Address

beforeAll(async () => {
  devnet = await startDevnet()
  const launched = await devnet.actions.launchToken({
    wallet: devnet.wallets[0]!,
    name: 'Resilient',
    symbol: 'RES',
    supply: parseEther('1000000'),
    liquidityCore: parseEther('1000'),
    liquidityTokens: parseEther('500000'),
  })
  token = launched.token
})
afterAll(async () => {
  await devnet?.stop()
})

const isTrades = (m: Received) => m.type === 'data' && m['channel'] === 'trades'
const txHashesOf = (m: Received) => (m['data'] as { trades: { txHash: string }[] }).trades.map((t) => t.txHash)

async function buys(count: number, walletIndex = 1): Promise<string[]> {
  const hashes: string[] = []
  for (let i = 0; i < count; i++) {
    const { txHashes } = await devnet.actions.buy({ wallet: devnet.wallets[walletIndex]!, token, amountCore: parseEther('0.1') })
    hashes.push(txHashes.at(-1)!)
  }
  return hashes
}

/** Collects trade tx hashes until `expected` are all seen; fails on a duplicate. */
async function collect(next: () => Promise<Received>, expected: readonly string[]): Promise<string[]> {
  const seen: string[] = []
  while (!expected.every((h) => seen.includes(h))) seen.push(...txHashesOf(await next()))
  return seen
}

/** A server with its own checkpoint that starts at the next block (nothing older is replayed). */
async function serverEnv(extra: Record<string, string> = {}) {
  const next = (await devnet.wallets[0]!.client.getBlockNumber({ cacheTime: 0 })) + 1n
  return { CORE_NETWORK: 'devnet', DEVNET_FILE: devnet.deploymentFile, CHECKPOINT_FILE: `${devnet.dir}/checkpoint-${next}.json`, START_BLOCK: String(next), ...extra }
}

describe('restart from the checkpoint', () => {
  it('delivers every trade made during the downtime once, and repeats none from before', async () => {
    const env = await serverEnv()
    let server: TestServer = await startTestServer(env)
    const before = await connect(server.url)
    before.send({ type: 'subscribe', channel: 'trades', params: { tokens: ['*'], since: 0 } })
    const earlier = await buys(2)
    const seenBefore = await collect(() => before.next(isTrades, 15_000), earlier)
    await server.stop()

    const duringDowntime = await buys(3)
    server = await startTestServer(env)
    try {
      const after = await connect(server.url)
      after.send({ type: 'subscribe', channel: 'trades', params: { tokens: ['*'], since: 0 } })
      expect(await after.next()).toMatchObject({ type: 'subscribed', resumed: true })
      const live = await buys(1)
      const seenAfter = await collect(() => after.next(isTrades, 15_000), [...duringDowntime, ...live])
      expect(seenBefore).toEqual(earlier)
      expect(seenAfter).toEqual([...duringDowntime, ...live])
      await after.close()
    } finally {
      await server.stop()
    }
  })
})

describe('RPC WebSocket drops', () => {
  it('reconnects and backfills: nothing missed, nothing repeated', async () => {
    const proxy = await startTcpProxy(devnet.anvil.port)
    const server = await startTestServer(await serverEnv({ CORE_WS_URL: `ws://127.0.0.1:${proxy.port}` }))
    try {
      const c = await connect(server.url)
      c.send({ type: 'subscribe', channel: 'trades', params: { tokens: [token] } })
      await c.next((m) => m.type === 'subscribed')
      const first = await buys(2)
      proxy.refuse(true)
      const whileDown = await buys(3)
      proxy.refuse(false)
      const afterwards = await buys(2)
      const all = [...first, ...whileDown, ...afterwards]
      expect(await collect(() => c.next(isTrades, 20_000), all)).toEqual(all)
      expect(proxy.accepted).toBeGreaterThanOrEqual(2)
      await c.close()
    } finally {
      await server.stop()
      await proxy.close()
    }
  })
})

describe('reorg', () => {
  it('announces the removed trades and streams the replacement branch', async () => {
    const server = await startTestServer(await serverEnv())
    const rpc = (method: string, params: unknown[] = []) => devnet.wallets[0]!.client.request({ method, params } as never) as Promise<unknown>
    try {
      const c = await connect(server.url)
      c.send({ type: 'subscribe', channel: 'trades', params: { tokens: [token] } })
      await c.next((m) => m.type === 'subscribed')
      const snapshot = await rpc('evm_snapshot')
      const [orphan] = await buys(1, 1)
      const orphaned = await c.next(isTrades, 15_000)
      expect(txHashesOf(orphaned)).toEqual([orphan])
      const orphanBlock = (orphaned['data'] as { trades: { blockNumber: number }[] }).trades[0]!.blockNumber
      await rpc('evm_revert', [snapshot])
      const replacement = await buys(2, 2)
      const reorg = await c.next((m) => m.type === 'reorg', 15_000)
      expect(reorg).toEqual({ type: 'reorg', channel: 'trades', seq: expect.any(Number), fromBlock: orphanBlock, toBlock: orphanBlock, txHashes: [orphan] })
      expect(reorg.seq).toBeGreaterThan(orphaned.seq as number)
      expect(await collect(() => c.next(isTrades, 15_000), replacement)).toEqual(replacement)
      await c.close()
    } finally {
      await server.stop()
    }
  })
})

describe('market state across a restart', () => {
  it('gives the same 24 h stats as a server that never stopped', async () => {
    const { token: fresh } = await devnet.actions.launchToken({ wallet: devnet.wallets[0]!, name: 'Steady', symbol: 'STD', supply: parseEther('1000000'), liquidityCore: parseEther('500'), liquidityTokens: parseEther('500000') })
    const steady = await startTestServer(await serverEnv())
    const envB = await serverEnv()
    let restarted = await startTestServer(envB)
    const trade = (core: string) => devnet.actions.buy({ wallet: devnet.wallets[1]!, token: fresh, amountCore: parseEther(core) })
    const processed = async (s: TestServer) => ((await (await fetch(`http://127.0.0.1:${s.port}/health`)).json()) as { chain: { processed: number } }).chain.processed
    try {
      await trade('3')
      await restarted.stop()
      await trade('5')
      const { amountOut } = await trade('2')
      await devnet.actions.sell({ wallet: devnet.wallets[1]!, token: fresh, amountTokens: amountOut })
      restarted = await startTestServer(envB)
      await trade('1')
      const head = Number(await devnet.wallets[0]!.client.getBlockNumber({ cacheTime: 0 }))
      await expect.poll(() => processed(steady), { timeout: 15_000 }).toBeGreaterThanOrEqual(head)
      await expect.poll(() => processed(restarted), { timeout: 15_000 }).toBeGreaterThanOrEqual(head)
      const a = JSON.parse((await steady.app.state.prices([fresh])).items[0]!) as Record<string, unknown>
      const b = JSON.parse((await restarted.app.state.prices([fresh])).items[0]!) as Record<string, unknown>
      expect(a).toMatchObject({ buys24h: 4, sells24h: 1 })
      expect(a!['volume24h']).toBeGreaterThan(10)
      expect(b).toEqual(a)
    } finally {
      await restarted.stop()
      await steady.stop()
    }
  })
})

describe('warm restart', () => {
  it('continues from its saved state: no replay, the same stats, and the earliest client gets the full snapshot', async () => {
    const { token: warm } = await devnet.actions.launchToken({ wallet: devnet.wallets[0]!, name: 'Warm', symbol: 'WRM', supply: parseEther('1000000'), liquidityCore: parseEther('700'), liquidityTokens: parseEther('500000') })
    const env = await serverEnv({ START_BLOCK: '0' })
    let server = await startTestServer(env)
    try {
      await devnet.actions.buy({ wallet: devnet.wallets[1]!, token: warm, amountCore: parseEther('4') })
      const head = Number(await devnet.wallets[0]!.client.getBlockNumber({ cacheTime: 0 }))
      const chain = async (s: TestServer) => ((await (await fetch(`http://127.0.0.1:${s.port}/health`)).json()) as { chain: { processed: number; start: string } }).chain
      await expect.poll(async () => (await chain(server)).processed, { timeout: 15_000 }).toBeGreaterThanOrEqual(head)
      expect((await chain(server)).start).toBe('cold')
      const before = JSON.parse((await server.app.state.prices([warm])).items[0]!) as Record<string, unknown>
      await server.stop()

      server = await startTestServer(env, { waitReady: false })
      const first = await waitFor(() => connect(server.url), { intervalMs: 10, message: 'the restarted server accepts a connection' })
      first.send({ type: 'subscribe', channel: 'prices', params: { tokens: ['*'] } })
      await first.next((m) => m.type === 'subscribed')
      const snapshot = await first.next((m) => m.type === 'data')
      expect(snapshot['snapshot']).toBe(true)
      const items = (snapshot['data'] as { prices: Record<string, unknown>[] }).prices
      expect(items.find((p) => p['tokenAddress'] === warm)).toEqual(before)
      expect((await chain(server)).start).toBe('warm')
      await first.close()
    } finally {
      await server.stop()
    }
  })
})
