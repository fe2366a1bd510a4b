import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getAddress, parseAbiItem, parseEther, type Address, type Hash } from 'viem'
import { dataPublication, encodeItems } from '../../src/bus/publication.js'
import { checkpointFromJson } from '../../src/chain/checkpoint.js'
import { FencedError } from '../../src/ledger/ledger.js'
import type { TradeItem } from '../../src/protocol/items.js'
import { commitToRedis } from '../../src/redis/commit.js'
import { redisKeys } from '../../src/redis/keys.js'
import { startDevnet, type DevnetFixture } from '../support/devnet.js'
import { startTestRedis, type TestRedis } from '../support/redisServer.js'
import { startServerProcess, type ServerProcess } from '../support/serverProcess.js'
import { waitFor } from '../support/waitFor.js'
import { connect, type Received, type TestClient } from '../support/wsClient.js'

/**
 * Indexer restarts and fail-over with real processes: a devnet (anvil, automine: one block per
 * transaction), a Redis of the test's own, `ROLE=indexer` processes led through the `ix:leader` lock
 * (LEADER_TTL_MS=2000) and one `ROLE=gateway` whose client stays connected throughout. Each test runs
 * a deployment of its own (a key prefix of its own, START_BLOCK = the next block) and compares what
 * its client received with the chain: the buys it made and the pair's `Swap` logs.
 */

const TTL_MS = 2000
const SWAP = parseAbiItem('event Swap(address indexed sender, uint256 amount0In, uint256 amount1In, uint256 amount0Out, uint256 amount1Out, address indexed to)')

let devnet: DevnetFixture
let redis: TestRedis
let redisClient: ReturnType<TestRedis['client']> | undefined
/** A plain Redis client for reading the deployments' keys. */
const rc = () => (redisClient ??= redis.client())
let token: Address
let pair: Address
const processes: ServerProcess[] = []
/** Processes held with SIGSTOP: continued before they are stopped. */
const paused = new Set<ServerProcess>()
const clients: TestClient[] = []

beforeAll(async () => {
  ;[devnet, redis] = await Promise.all([startDevnet(), startTestRedis()])
  const launched = await devnet.actions.launchToken({
    wallet: devnet.wallets[0]!,
    name: 'Failover',
    symbol: 'FOV',
    supply: parseEther('1000000'),
    liquidityCore: parseEther('1000'),
    liquidityTokens: parseEther('500000'),
  })
  token = getAddress(launched.token)
  pair = getAddress(launched.pair)
})

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()))
  for (const p of paused) if (p.running()) process.kill(p.pid, 'SIGCONT')
  await Promise.all(processes.map((p) => p.stop()))
  await redis?.stop()
  await devnet?.stop()
})

type Chain = { role: 'leader' | 'standby' | 'single'; fence: number | null; head: number | null; processed: number | null; start: 'warm' | 'cold' | null; trades: number }
type Trade = { txHash: string; logIndex: number; blockNumber: number; tokenAddress: string; type: string }
type PriceItem = Record<string, unknown> & { tokenAddress: string }

const chainOf = async (p: ServerProcess) => (await p.health())['chain'] as Chain
const head = async () => Number(await devnet.wallets[0]!.client.getBlockNumber({ cacheTime: 0 }))

/** A deployment of its own: a key prefix, a first block, and the env of its processes. */
async function deployment(name: string) {
  const prefix = `failover-${name}:`
  const startBlock = (await head()) + 1
  const base = { REDIS_URL: redis.url, REDIS_PREFIX: prefix, LEADER_TTL_MS: String(TTL_MS) }
  const own: ServerProcess[] = []
  async function run(env: Record<string, string>): Promise<ServerProcess> {
    const p = await startServerProcess(env)
    processes.push(p)
    own.push(p)
    return p
  }
  return {
    prefix,
    startBlock,
    own,
    /** An indexer with a checkpoint file of its own; the same `id` is the same env (a restart). */
    indexer: (id: string) =>
      run({ ...base, ROLE: 'indexer', CORE_NETWORK: 'devnet', DEVNET_FILE: devnet.deploymentFile, CHECKPOINT_FILE: `${devnet.dir}/checkpoint-${name}-${id}.json`, START_BLOCK: String(startBlock) }),
    gateway: () => run({ ...base, ROLE: 'gateway' }),
    /** Stops what this deployment started (a paused process is continued first). */
    async stop() {
      await Promise.all(
        own.map(async (p) => {
          if (paused.delete(p) && p.running()) process.kill(p.pid, 'SIGCONT')
          await p.stop()
        }),
      )
    },
  }
}
type Deployment = Awaited<ReturnType<typeof deployment>>

/** A client on the gateway subscribed to `trades` `"*"`, keeping every message it receives. */
async function tradesClient(gateway: ServerProcess, prefix: string) {
  await serving(gateway, prefix)
  const client = await connect(gateway.url)
  clients.push(client)
  const log: Received[] = []
  client.ws.on('message', (data) => log.push(JSON.parse(data.toString()) as Received))
  client.send({ type: 'subscribe', channel: 'trades', params: { tokens: ['*'] }, id: 'trades' })
  const subscribed = await client.next((m) => m.type === 'subscribed')
  expect(subscribed).toEqual({ type: 'subscribed', id: 'trades', channel: 'trades', params: { tokens: ['*'], wallets: [] }, seq: expect.any(Number) })
  const data = () => log.filter((m) => m.type === 'data' && m['channel'] === 'trades')
  const trades = () => data().flatMap((m) => (m['data'] as { trades: Trade[] }).trades)
  return { prefix, log, seq: subscribed['seq'] as number, data, trades, hashes: () => trades().map((t) => t.txHash) }
}
type Feed = Awaited<ReturnType<typeof tradesClient>>

/** A client's `prices` snapshot for `"*"`: the subscription's seq and the items. */
async function pricesSnapshot(gateway: ServerProcess, prefix: string): Promise<{ seq: number; items: PriceItem[] }> {
  await serving(gateway, prefix)
  const client = await connect(gateway.url)
  clients.push(client)
  client.send({ type: 'subscribe', channel: 'prices', params: { tokens: ['*'] }, id: 'prices' })
  const subscribed = await client.next((m) => m.type === 'subscribed')
  const snapshot = await client.next((m) => m.type === 'data')
  expect(snapshot).toMatchObject({ type: 'data', channel: 'prices', snapshot: true, seq: subscribed['seq'] })
  await client.close()
  return { seq: subscribed['seq'] as number, items: (snapshot['data'] as { prices: PriceItem[] }).prices }
}

async function buy(): Promise<Hash> {
  const { txHashes } = await devnet.actions.buy({ wallet: devnet.wallets[1]!, token, amountCore: parseEther('0.1') })
  return txHashes.at(-1)!
}

/** Buys one after the other, in the background, until stopped; `made` lists them in chain order. */
function buyer() {
  const made: Hash[] = []
  let stopped = false
  const loop = (async () => {
    while (!stopped) made.push(await buy())
  })()
  loop.catch(() => {}) // a failed buy fails `stopAt`, which awaits the loop
  return {
    made,
    /** Stops once at least `count` buys were made; resolves to them all. */
    async stopAt(count: number, message: string): Promise<Hash[]> {
      await Promise.race([loop, waitFor(() => made.length >= count, { timeoutMs: 20_000, message })])
      stopped = true
      await loop
      return [...made]
    },
    async stop(): Promise<void> {
      stopped = true
      await loop.catch(() => {})
    },
  }
}
type Buyer = ReturnType<typeof buyer>

/** The pair's swaps on the chain from `fromBlock` to the head, in chain order. */
async function swapsOnChain(fromBlock: number): Promise<{ txHash: string; logIndex: number; blockNumber: number }[]> {
  const logs = await devnet.wallets[0]!.client.getLogs({ address: pair, event: SWAP, fromBlock: BigInt(fromBlock), toBlock: BigInt(await head()) })
  return logs.map((l) => ({ txHash: l.transactionHash, logIndex: l.logIndex, blockNumber: Number(l.blockNumber) }))
}

/**
 * The client received each buy exactly once, in chain order, as the chain's `Swap` logs from
 * `fromBlock` say; one `trades` message per block, with seqs following each other from the
 * subscription's; never a renumbering (`resumed:false`) nor an error.
 */
async function expectExactlyOnce(feed: Feed, made: readonly Hash[], fromBlock: number): Promise<void> {
  await waitFor(() => made.every((h) => feed.hashes().includes(h)), { timeoutMs: 20_000, message: `the client received all ${made.length} buys` })
  // The chain is quiet now: the client has the bus's last trades message, so nothing more (no repeat) is on its way.
  const last = Number(await rc().get(`${feed.prefix}seq:trades`))
  await waitFor(() => feed.data().at(-1)?.['seq'] === last, { message: `the client received the bus's last trades message (seq ${last})` })
  expect(feed.hashes()).toEqual(made)
  expect(feed.trades().map((t) => ({ txHash: t.txHash, logIndex: t.logIndex, blockNumber: t.blockNumber }))).toEqual(await swapsOnChain(fromBlock))
  for (const t of feed.trades()) expect(t).toMatchObject({ tokenAddress: token, type: 'buy' })
  expect(feed.data().map((m) => m['seq'])).toEqual(made.map((_, i) => feed.seq + 1 + i))
  expect(feed.data().map((m) => (m['data'] as { trades: Trade[] }).trades.length)).toEqual(made.map(() => 1))
  expect(feed.log.filter((m) => m.type === 'subscribed' && m['resumed'] === false)).toEqual([])
  expect(feed.log.filter((m) => m.type === 'error')).toEqual([])
}

/** A received message in one short line (trades: seq, then block and tx of each trade). */
function brief(m: Received): string {
  if (m.type !== 'data' || m['channel'] !== 'trades') return JSON.stringify(m).slice(0, 300)
  const trades = (m['data'] as { trades: Trade[] }).trades.map((t) => `${t.blockNumber}:${t.txHash.slice(0, 10)}`)
  return `trades seq ${String(m['seq'])}${m['snapshot'] ? ' (snapshot)' : ''}: ${trades.join(' ')}`
}

/** Runs `body`; on failure, adds what the client received and the deployment's logs. */
async function explained<T>(own: () => readonly ServerProcess[], feed: () => Feed | null, body: () => Promise<T>): Promise<T> {
  try {
    return await body()
  } catch (err) {
    const chainHead = await head().catch(() => null)
    const healths = await Promise.all(
      own().map(async (p) => (p.running() && !paused.has(p) ? JSON.stringify(await Promise.race([p.health(), new Promise((r) => setTimeout(r, 1000, 'no answer'))]).catch(String)) : 'not running')),
    )
    const logs = own().map((p, i) => `--- process ${p.pid} on ${p.port}: /health ${healths[i]}\n${p.output().slice(-8000)}`).join('\n')
    const got = (feed()?.log ?? []).map(brief).join('\n')
    throw new Error(`${(err as Error).message}\n--- chain head: ${chainHead}\n--- the client received:\n${got}\n${logs}`, { cause: err })
  }
}

type TermStart = { start: string; from: number; publishFrom: number | null }

/** The indexer's `following the chain` log lines: one per term it led. */
function termStarts(p: ServerProcess): TermStart[] {
  return p
    .output()
    .split('\n')
    .filter((line) => line.includes('"following the chain"'))
    .map((line) => {
      const { start, from, publishFrom } = JSON.parse(line) as TermStart
      return { start, from, publishFrom }
    })
}

/** The only term `p` led, once its log line arrived (the log can trail `/health`). */
async function onlyTerm(p: ServerProcess): Promise<TermStart> {
  await waitFor(() => termStarts(p).length > 0, { message: `indexer ${p.pid} logs the start of its term` })
  expect(termStarts(p)).toHaveLength(1)
  return termStarts(p)[0]!
}

/** Waits until `p` leads and has processed the chain's head. */
async function leadsAndCaughtUp(p: ServerProcess): Promise<Chain> {
  const h = await head()
  return waitFor(async () => {
    const c = await chainOf(p)
    return c.role === 'leader' && (c.processed ?? -1) >= h && c
  }, { timeoutMs: 15_000, intervalMs: 50, message: `indexer ${p.pid} leads and processed block ${h}` })
}

/** Waits until `p` leads and follows the chain (after a takeover); resolves to its chain status then. */
async function leads(p: ServerProcess): Promise<Chain> {
  return waitFor(async () => {
    const c = await chainOf(p)
    return c.role === 'leader' && c.start !== null && c
  }, { timeoutMs: 15_000, intervalMs: 50, message: `indexer ${p.pid} leads` })
}

/** Waits until the gateway serves the bus that the deployment's indexer created. */
async function serving(gateway: ServerProcess, prefix: string): Promise<void> {
  await waitFor(async () => {
    const epoch = await rc().get(`${prefix}epoch`)
    const bus = (await gateway.health())['bus'] as { connected: boolean; epoch: string | null }
    return epoch !== null && bus.connected && bus.epoch === epoch
  }, { timeoutMs: 15_000, intervalMs: 50, message: 'the gateway serves the bus' })
}

/**
 * A leader (`a`, the first fence, a cold start) and a gateway; then a standby (`b`), started once the
 * leader has committed blocks (it joins a bus that already counts commits).
 */
async function leaderAndStandby(d: Deployment): Promise<{ a: ServerProcess; b: ServerProcess; gateway: ServerProcess }> {
  const [a, gateway] = await Promise.all([d.indexer('a'), d.gateway()])
  expect(await leadsAndCaughtUp(a)).toMatchObject({ role: 'leader', fence: 1, start: 'cold' })
  await buy()
  await leadsAndCaughtUp(a)
  const b = await d.indexer('b')
  await waitFor(async () => (await chainOf(b)).role === 'standby', { message: 'b stands by' })
  expect(await chainOf(b)).toMatchObject({ role: 'standby', fence: null, start: null })
  expect(await chainOf(a)).toMatchObject({ role: 'leader', fence: 1 })
  return { a, b, gateway }
}

describe('indexer fail-over', () => {
  it('a standby takes over from a SIGKILLed leader mid-stream: warm, fence + 1, every trade exactly once', async () => {
    const d = await deployment('kill')
    let feed = null as Feed | null
    let buys = null as Buyer | null
    try {
      await explained(() => d.own, () => feed, async () => {
        const { a, b, gateway } = await leaderAndStandby(d)
        const f = (feed = await tradesClient(gateway, d.prefix))
        const firstBlock = (await head()) + 1
        const running = (buys = buyer())
        await waitFor(() => f.trades().length >= 3, { timeoutMs: 15_000, message: 'trades before the kill' })
        await a.kill()
        const takeover = await leads(b)
        const made = await running.stopAt(running.made.length + 5, 'buys after the takeover')
        await expectExactlyOnce(f, made, firstBlock)

        // b restored the state a committed (warm) and continued after a's checkpoint: no replay of REBUILD_BLOCKS.
        expect(takeover).toMatchObject({ role: 'leader', fence: 2, start: 'warm' })
        const { from } = await onlyTerm(b)
        expect(await onlyTerm(b)).toEqual({ from, start: 'warm', publishFrom: null })
        expect(from).toBeGreaterThan(firstBlock)
        // b published exactly the trades of the blocks it read.
        const byB = f.trades().filter((t) => t.blockNumber >= from).length
        expect(byB).toBeGreaterThan(0)
        expect((await leadsAndCaughtUp(b)).trades).toBe(byB)
        expect(await rc().get(`${d.prefix}ix:fence`)).toBe('2')
      })
    } finally {
      await buys?.stop()
      await d.stop()
    }
  }, 60_000)

  it('a SIGSTOPped leader that lost the lock publishes nothing once continued, and stands by', async () => {
    const d = await deployment('pause')
    let feed = null as Feed | null
    let buys = null as Buyer | null
    try {
      await explained(() => d.own, () => feed, async () => {
        const { a, b, gateway } = await leaderAndStandby(d)
        const f = (feed = await tradesClient(gateway, d.prefix))
        const firstBlock = (await head()) + 1
        const before = [await buy(), await buy()]
        await waitFor(() => before.every((h) => f.hashes().includes(h)), { timeoutMs: 15_000, message: 'trades before the pause' })

        process.kill(a.pid, 'SIGSTOP')
        paused.add(a)
        const running = (buys = buyer())
        const takeover = await leads(b)
        expect(takeover).toMatchObject({ role: 'leader', fence: 2, start: 'warm' })
        const during = await running.stopAt(running.made.length + 3, 'buys after the takeover')
        await waitFor(() => during.every((h) => f.hashes().includes(h)), { timeoutMs: 15_000, message: 'trades made while a was paused' })

        process.kill(a.pid, 'SIGCONT')
        paused.delete(a)
        await waitFor(async () => (await chainOf(a)).role === 'standby', { message: 'a stands by after SIGCONT' })
        expect(await chainOf(a)).toMatchObject({ role: 'standby', fence: null, start: null })
        // Had a's follower committed before its renewal failed, the commit step itself would refuse
        // it: a's last block again, under a's fence, is FENCED and changes nothing.
        const keys = redisKeys(d.prefix)
        const counters = async () => rc().mget(keys.commit, keys.seq('trades'), keys.ix.checkpoint, keys.ix.fence)
        const state = await counters()
        const [commit, , checkpoint] = state
        const stale = commitToRedis(rc(), keys, { historySize: 1000, ttlSec: 604_800, recentLimit: 50, tradesPerToken: 200 }, {
          epoch: (await rc().get(keys.epoch))!,
          commit: Number(commit) + 1,
          publications: [{ channel: 'trades', publication: dataPublication(encodeItems('trades', [f.trades().at(-1) as unknown as TradeItem])) }],
          indexer: { position: checkpointFromJson(checkpoint!), rows: [], fence: 1 },
          publishedAt: Date.now(),
        })
        await expect(stale).rejects.toBeInstanceOf(FencedError)
        expect(await counters()).toEqual(state)

        const after = [await buy(), await buy(), await buy()]
        await expectExactlyOnce(f, [...before, ...during, ...after], firstBlock)

        // (The log can trail /health.)
        await waitFor(() => /stepped down/.test(a.output()), { message: 'a logs that it stepped down' })
        expect(a.output()).toMatch(/lost the lead|fenc/i)
        expect(await chainOf(b)).toMatchObject({ role: 'leader', fence: 2 })
        expect(await rc().get(`${d.prefix}ix:fence`)).toBe('2')
        expect(await a.stop()).toBe(0)
      })
    } finally {
      await buys?.stop()
      await d.stop()
    }
  }, 60_000)

  it('a lone indexer SIGKILLed during a burst and started again publishes every block once', async () => {
    const d = await deployment('crash')
    let feed = null as Feed | null
    let buys = null as Buyer | null
    try {
      await explained(() => d.own, () => feed, async () => {
        const [first, gateway] = await Promise.all([d.indexer('1'), d.gateway()])
        expect(await leadsAndCaughtUp(first)).toMatchObject({ role: 'leader', fence: 1, start: 'cold' })
        const f = (feed = await tradesClient(gateway, d.prefix))
        const firstBlock = (await head()) + 1
        const running = (buys = buyer())
        await waitFor(() => f.trades().length >= 3, { timeoutMs: 15_000, message: 'trades before the crash' })
        await first.kill()
        const again = await d.indexer('1')
        expect(await leads(again)).toMatchObject({ role: 'leader', fence: 2, start: 'warm' })
        const made = await running.stopAt(running.made.length + 5, 'buys after the restart')
        await expectExactlyOnce(f, made, firstBlock)
        expect(await onlyTerm(again)).toEqual({ from: expect.any(Number), start: 'warm', publishFrom: null })
        expect((await onlyTerm(again)).from).toBeGreaterThan(firstBlock)
      })
    } finally {
      await buys?.stop()
      await d.stop()
    }
  }, 60_000)

  it('a warm restart keeps the 24 h stats and the prices snapshot, and agrees with an indexer that never stopped', async () => {
    const d = await deployment('warm')
    // The reference: another deployment on the same chain whose indexer runs throughout.
    const ref = await deployment('warm-ref')
    const price = async (prefix: string) => JSON.parse((await rc().get(`${prefix}rm:price:${token}`))!) as PriceItem
    const stats = async (gateway: ServerProcess) => {
      const res = await fetch(`${gateway.http}/tokens/${token}`)
      expect(res.status).toBe(200)
      return ((await res.json()) as { stats: PriceItem }).stats
    }
    try {
      await explained(() => [...d.own, ...ref.own], () => null, async () => {
        const [first, gateway, reference] = await Promise.all([d.indexer('1'), d.gateway(), ref.indexer('1')])
        await Promise.all([leadsAndCaughtUp(first), leadsAndCaughtUp(reference)])
        await buy()
        await devnet.actions.sell({ wallet: devnet.wallets[1]!, token, percent: 10 })
        await buy()
        await Promise.all([leadsAndCaughtUp(first), leadsAndCaughtUp(reference)])

        const before = await stats(gateway)
        expect(before).toMatchObject({ tokenAddress: token, buys24h: expect.any(Number), sells24h: expect.any(Number), volume24h: expect.any(Number), priceChange24h: expect.any(Number) })
        // Every swap of the pair so far (this file's, all within the day) is a buy, but for the one sell.
        const swaps = (await swapsOnChain(0)).length
        expect(before).toMatchObject({ buys24h: swaps - 1, sells24h: 1 })
        const snapshotBefore = await pricesSnapshot(gateway, d.prefix)
        expect(snapshotBefore.items.find((i) => i.tokenAddress === token)).toEqual(before)
        expect(before).toEqual(await price(ref.prefix))

        expect(await first.stop()).toBe(0)
        const again = await d.indexer('1')
        expect(await leadsAndCaughtUp(again)).toMatchObject({ role: 'leader', fence: 2, start: 'warm' })
        expect(await onlyTerm(again)).toEqual({ from: expect.any(Number), start: 'warm', publishFrom: null })
        expect((await onlyTerm(again)).from).toBeGreaterThan(d.startBlock)

        // Right after the restart: the same stats, the same full snapshot.
        expect(await stats(gateway)).toEqual(before)
        const snapshotAfter = await pricesSnapshot(gateway, d.prefix)
        expect(snapshotAfter).toEqual(snapshotBefore)

        // The next trade is counted on top of the restored windows: the same item as the indexer that never stopped.
        await buy()
        await Promise.all([leadsAndCaughtUp(again), leadsAndCaughtUp(reference)])
        const next = await stats(gateway)
        expect(next).toMatchObject({ buys24h: swaps, sells24h: 1 })
        expect(next['volume24h']).toBeGreaterThan(before['volume24h'] as number)
        expect(next).toEqual(await price(ref.prefix))
      })
    } finally {
      await Promise.all([d.stop(), ref.stop()])
    }
  }, 60_000)
})
