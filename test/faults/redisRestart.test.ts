import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseEther, type Address } from 'viem'
import { startDevnet, type DevnetFixture } from '../support/devnet.js'
import { startTestRedis, type TestRedis } from '../support/redisServer.js'
import { startServerProcess, type ServerProcess } from '../support/serverProcess.js'
import { waitFor } from '../support/waitFor.js'
import { connect, type Received, type TestClient } from '../support/wsClient.js'

/**
 * Redis dies (SIGKILL) under a running indexer and gateway, trades happen while it is down, and it
 * comes back empty. The indexer holds the blocks it could not commit and retries; once Redis is
 * back it re-seeds the read model from its own copy and publishes under a new epoch. The gateway
 * sees the new epoch and re-synchronises its clients, which stay connected throughout.
 */

let devnet: DevnetFixture
let redis: TestRedis
const processes: ServerProcess[] = []
const clients: TestClient[] = []

beforeAll(async () => {
  ;[devnet, redis] = await Promise.all([startDevnet(), startTestRedis()])
})
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()))
  await Promise.all(processes.map((p) => p.stop()))
  await redis?.stop()
  await devnet?.stop()
})

type Trade = { txHash: string; tokenAddress: string }
const tradesOf = (m: Received) => (m.type === 'data' && m['channel'] === 'trades' ? (m['data'] as { trades: Trade[] }).trades : [])

async function buys(token: Address, count: number): Promise<string[]> {
  const hashes: string[] = []
  for (let i = 0; i < count; i++) {
    const { txHashes } = await devnet.actions.buy({ wallet: devnet.wallets[1]!, token, amountCore: parseEther('0.1') })
    hashes.push(txHashes.at(-1)!)
  }
  return hashes
}

/** Fails with what the client received and both processes' logs (what the indexer and the gateway went through). */
async function explained<T>(what: Promise<T>, received: readonly Received[] = []): Promise<T> {
  try {
    return await what
  } catch (err) {
    const logs = processes.map((p) => `--- process on ${p.port}:\n${p.output().slice(-6000)}`).join('\n')
    const got = received.map((m) => JSON.stringify(m).slice(0, 300)).join('\n')
    throw new Error(`${(err as Error).message}\n--- the client received:\n${got}\n${logs}`, { cause: err })
  }
}

describe('Redis restarts empty under an indexer and a gateway', () => {
  it('keeps clients connected, re-synchronises them under a new epoch, and delivers every trade once', async () => {
    const next = (await devnet.wallets[0]!.client.getBlockNumber({ cacheTime: 0 })) + 1n
    const indexer = await startServerProcess({
      ROLE: 'indexer',
      REDIS_URL: redis.url,
      CORE_NETWORK: 'devnet',
      DEVNET_FILE: devnet.deploymentFile,
      CHECKPOINT_FILE: `${devnet.dir}/checkpoint-restart.json`,
      START_BLOCK: String(next),
    })
    processes.push(indexer)
    const gateway = await startServerProcess({ ROLE: 'gateway', REDIS_URL: redis.url })
    processes.push(gateway)
    const health = async () => (await gateway.health()) as { bus: { epoch: string | null; connected: boolean } }
    const tokens = async () => ((await (await fetch(`${gateway.http}/tokens`)).json()) as { tokens: { address: string }[] }).tokens.map((t) => t.address)

    const { token } = await devnet.actions.launchToken({
      wallet: devnet.wallets[0]!,
      name: 'Restart',
      symbol: 'RST',
      supply: parseEther('1000000'),
      liquidityCore: parseEther('1000'),
      liquidityTokens: parseEther('500000'),
    })
    await explained(waitFor(async () => (await tokens()).includes(token), { message: 'the launch is in the read model', timeoutMs: 15_000 }))
    await waitFor(async () => (await health()).bus.epoch !== null, { message: 'the gateway joined the bus' })

    const client = await connect(gateway.url)
    clients.push(client)
    const log: Received[] = []
    client.ws.on('message', (data) => log.push(JSON.parse(data.toString()) as Received))
    let closed = false
    void client.closed.then(() => (closed = true))
    const firstEpoch = client.epoch
    expect((await health()).bus.epoch).toBe(firstEpoch)
    client.send({ type: 'subscribe', channel: 'trades', params: { tokens: ['*'] } })
    await client.next((m) => m.type === 'subscribed')
    const received = () => log.flatMap(tradesOf).map((t) => t.txHash)

    const before = await buys(token, 2)
    await explained(waitFor(() => before.every((h) => received().includes(h)), { message: 'trades before the crash', timeoutMs: 15_000 }), log)

    await redis.kill()
    await waitFor(async () => !(await health()).bus.connected, { message: 'the gateway saw Redis go' })
    const during = await buys(token, 2)
    // The indexer has seen the outage's blocks and holds them: nothing committed, nothing skipped.
    const blockOf = async (hash: string) => Number((await devnet.wallets[0]!.client.getTransactionReceipt({ hash: hash as `0x${string}` })).blockNumber)
    const [firstDuring, lastDuring] = [await blockOf(during[0]!), await blockOf(during.at(-1)!)]
    const chain = async () => ((await indexer.health()) as { chain: { head: number; processed: number } }).chain
    await waitFor(async () => (await chain()).head >= lastDuring, { message: 'the indexer saw the blocks made during the outage' })
    expect((await chain()).processed).toBeLessThan(firstDuring)
    await redis.start()
    const after = await buys(token, 2)

    const all = [...before, ...during, ...after]
    await explained(waitFor(() => all.every((h) => received().includes(h)), { message: 'every trade, after the restart', timeoutMs: 20_000 }), log)

    // Every trade exactly once, in chain order: none lost in the outage, none repeated by the retries.
    expect(received()).toEqual(all)
    // The client was told once, unasked, that the numbering changed: the new epoch, at seq 0 (trades
    // have no snapshot), followed by every trades message of the new epoch from seq 1 — the outage's
    // blocks first (the indexer committed them after re-seeding), then the later ones.
    const resyncs = log.filter((m) => m.type === 'subscribed' && m['resumed'] === false)
    expect(resyncs).toHaveLength(1)
    const newEpoch = resyncs[0]!['epoch'] as string
    expect(newEpoch).toEqual(expect.any(String))
    expect(newEpoch).not.toBe(firstEpoch)
    expect(resyncs[0]).toEqual({ type: 'subscribed', channel: 'trades', params: { tokens: ['*'], wallets: [] }, seq: 0, resumed: false, epoch: newEpoch })
    const afterResync = log.slice(log.indexOf(resyncs[0]!) + 1).filter((m) => m.type === 'data')
    expect(afterResync.map((m) => m.seq)).toEqual([1, 2, 3, 4])
    expect(afterResync.flatMap(tradesOf).map((t) => t.txHash)).toEqual([...during, ...after])
    expect(log.filter((m) => m.type === 'error')).toEqual([])

    // Nobody died, nobody was disconnected; the gateway reports the new epoch, and the read model
    // was re-seeded (the launch from before the crash is still served).
    expect(closed).toBe(false)
    expect(client.ws.readyState).toBe(client.ws.OPEN)
    expect([indexer.running(), gateway.running()]).toEqual([true, true])
    expect((await health()).bus).toMatchObject({ connected: true, epoch: newEpoch })
    expect(await tokens()).toContain(token)
    const tokenTrades = (await (await fetch(`${gateway.http}/tokens/${token}/trades?limit=50`)).json()) as { trades: Trade[] }
    expect(tokenTrades.trades.map((t) => t.txHash)).toEqual([...all].reverse())
  })
})
