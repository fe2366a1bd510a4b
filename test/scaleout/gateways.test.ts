import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getAddress, parseEther, type Address, type Hash } from 'viem'
import { startDevnet, type DevnetFixture } from '../support/devnet.js'
import { startTestRedis, type TestRedis } from '../support/redisServer.js'
import { startServerProcess, type ServerProcess } from '../support/serverProcess.js'
import { waitFor } from '../support/waitFor.js'
import { liveFrames, liveSeqs, lastSeqOf, open, subscribeRaw, tradeHashes, tradesOf, tryOpen, type RawClient, type Refusal } from './rawClient.js'

/**
 * The Redis scale-out end to end: a standalone devnet (automine), one `ROLE=indexer` process and two
 * `ROLE=gateway` processes on one Redis of the test's own. Clients connect from distinct loopback
 * addresses (127.0.0.x), each one a client IP of its own, because the gateways run with
 * MAX_CONNECTIONS_PER_IP=3 for the cap tests.
 */

const PREFIX = 'scaleout:'
let devnet: DevnetFixture
let redis: TestRedis
let redisClient: ReturnType<TestRedis['client']> | undefined
/** A plain Redis client for reading the bus's keys. */
const rc = () => (redisClient ??= redis.client())
let indexer: ServerProcess
/** The two live gateways; a SIGKILLed one is replaced. */
let gateways: [ServerProcess, ServerProcess]
const processes: ServerProcess[] = []
const clients: RawClient[] = []
let token: Address
let launchTx: Hash
/** Every buy of `token` made so far, in chain order. */
const buys: Hash[] = []

let ipCounter = 10
/** A client IP no other client of this file uses. */
const freshIp = () => `127.0.0.${ipCounter++}`

async function client(url: string, ip = freshIp()): Promise<RawClient> {
  const c = await open(url, ip)
  clients.push(c)
  return c
}

async function refusal(url: string, ip: string): Promise<Refusal> {
  const result = await tryOpen(url, ip)
  if ('status' in result) return result
  clients.push(result)
  throw new Error(`upgrade from ${ip} to ${url} was admitted`)
}

function gatewayEnv(): Record<string, string> {
  return { ROLE: 'gateway', REDIS_URL: redis.url, REDIS_PREFIX: PREFIX, MAX_CONNECTIONS_PER_IP: '3' }
}

async function buy(): Promise<Hash> {
  const { txHashes } = await devnet.actions.buy({ wallet: devnet.wallets[1]!, token, amountCore: parseEther('0.1') })
  const hash = txHashes.at(-1)!
  buys.push(hash)
  return hash
}

async function buyMany(count: number): Promise<Hash[]> {
  const hashes: Hash[] = []
  for (let i = 0; i < count; i++) hashes.push(await buy())
  return hashes
}

/** The channel's newest seq on the bus (what every gateway numbers from). */
async function busSeq(channel: string): Promise<number> {
  return Number((await rc().get(`${PREFIX}seq:${channel}`)) ?? 0)
}

/** Waits until the indexer has committed every block up to the chain's head. */
async function indexed(): Promise<void> {
  const head = Number(await devnet.wallets[0]!.client.getBlockNumber({ cacheTime: 0 }))
  await waitFor(async () => ((await indexer.health())['chain'] as { processed: number }).processed >= head, { timeoutMs: 20_000, message: `indexer processed block ${head}` })
}

const hasAll = (hashes: readonly string[]) => (c: RawClient) => () => hashes.every((h) => tradeHashes(c).includes(h))

/** The same request to both gateways. */
function onBoth<T>(request: (g: ServerProcess) => Promise<T>): Promise<[T, T]> {
  return Promise.all([request(gateways[0]), request(gateways[1])])
}

async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url)
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

/** Runs `src/index.ts` with `env` until it exits (for start-up failures). */
async function runToExit(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/index.ts'], { env: { ...process.env, NODE_ENV: 'production', WS_PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (d: Buffer) => (output += d.toString()))
  child.stderr.on('data', (d: Buffer) => (output += d.toString()))
  const [code] = (await once(child, 'exit')) as [number | null]
  return { code, output }
}
let withoutRedis: Promise<{ code: number | null; output: string }[]>

beforeAll(async () => {
  // Started now, checked by the first test: they exit on their own.
  withoutRedis = Promise.all([runToExit({ ROLE: 'gateway', REDIS_URL: '' }), runToExit({ ROLE: 'indexer', REDIS_URL: '' })])
  ;[devnet, redis] = await Promise.all([startDevnet(), startTestRedis()])
  const startBlock = (await devnet.wallets[0]!.client.getBlockNumber({ cacheTime: 0 })) + 1n
  indexer = await startServerProcess({ ROLE: 'indexer', REDIS_URL: redis.url, REDIS_PREFIX: PREFIX, CORE_NETWORK: 'devnet', DEVNET_FILE: devnet.deploymentFile, CHECKPOINT_FILE: `${devnet.dir}/checkpoint-scaleout.json`, START_BLOCK: String(startBlock) })
  processes.push(indexer)
  const launched = await devnet.actions.launchToken({ wallet: devnet.wallets[0]!, name: 'Scaled', symbol: 'SCL', supply: parseEther('1000000'), liquidityCore: parseEther('1000'), liquidityTokens: parseEther('500000') })
  token = launched.token
  // The launch is the transaction that created the pair with its first liquidity.
  launchTx = launched.txHashes.at(-1)!
  await indexed().catch((err: unknown) => {
    throw new Error(`indexer output:\n${indexer.output().slice(-4000)}`, { cause: err })
  })
  const started = await Promise.all([startServerProcess(gatewayEnv()), startServerProcess(gatewayEnv())])
  processes.push(...started)
  gateways = [started[0], started[1]]
})

afterAll(async () => {
  for (const c of clients) c.ws.terminate()
  await Promise.all(processes.map((p) => p.stop()))
  await redis?.stop()
  await devnet?.stop()
})

describe('roles', () => {
  it('ROLE=gateway or ROLE=indexer without REDIS_URL exits 1 naming ROLE and REDIS_URL', async () => {
    for (const { code, output } of await withoutRedis) {
      expect(code).toBe(1)
      expect(output).toMatch(/ROLE/)
      expect(output).toMatch(/REDIS_URL/)
    }
  })

  it('ROLE=indexer refuses WebSocket upgrades with 404 and answers /health with role, bus and chain', async () => {
    const refused = await refusal(indexer.url, freshIp())
    expect(refused).toEqual({ status: 404, body: { error: { code: 'not_found', message: expect.stringMatching(/ROLE=indexer/) } } })

    const epoch = (await rc().get(`${PREFIX}epoch`))!
    expect(epoch).toEqual(expect.any(String))
    const head = Number(await devnet.wallets[0]!.client.getBlockNumber({ cacheTime: 0 }))
    const health = await indexer.health()
    expect(health).toMatchObject({ status: 'ok', connections: 0, role: 'indexer', bus: { kind: 'redis', connected: true, epoch } })
    expect(health['chain']).toMatchObject({ network: 'devnet', head, processed: head })

    for (const gateway of gateways) {
      const g = await gateway.health()
      expect(g).toMatchObject({ status: 'ok', role: 'gateway', bus: { kind: 'redis', connected: true, epoch } })
      expect(g).not.toHaveProperty('chain')
    }
    // The indexer serves no read model over HTTP: that is the gateways' job.
    expect((await fetch(`${indexer.http}/tokens/${token}`)).status).toBe(404)
  })
})

describe('two gateways on one bus', () => {
  it('send the same epoch, the same seqs and the same bytes to their clients', async () => {
    const [a, b] = [await client(gateways[0].url), await client(gateways[1].url)]
    expect(a.hello['epoch']).toBe(await rc().get(`${PREFIX}epoch`))
    expect(b.hello['epoch']).toBe(a.hello['epoch'])

    const subscribedA = [await subscribeRaw(a, 'trades', { tokens: [token] }, 't'), await subscribeRaw(a, 'prices', { tokens: [token] }, 'p')]
    const subscribedB = [await subscribeRaw(b, 'trades', { tokens: [token] }, 't'), await subscribeRaw(b, 'prices', { tokens: [token] }, 'p')]
    const tradesSeq = await busSeq('trades')
    const pricesSeq = await busSeq('prices')
    expect(subscribedA).toEqual([
      { type: 'subscribed', id: 't', channel: 'trades', params: { tokens: [token], wallets: [] }, seq: tradesSeq },
      { type: 'subscribed', id: 'p', channel: 'prices', params: { tokens: [token] }, seq: pricesSeq },
    ])
    expect(subscribedB).toEqual(subscribedA)

    const made = await buyMany(3)
    await Promise.all([a, b].map((c) => c.until(hasAll(made)(c), 'the three buys')))
    // A block's trades and prices are committed together: once its trade arrived, the prices seq is final.
    const lastPrices = await busSeq('prices')
    await Promise.all([a, b].map((c) => c.until(() => lastSeqOf(c, 'prices') === lastPrices, `prices seq ${lastPrices}`)))

    expect(tradeHashes(a)).toEqual(made)
    // One block per buy (automine), nothing else trades: one trades message and one prices message each.
    expect(liveSeqs(a, 'trades')).toEqual([tradesSeq + 1, tradesSeq + 2, tradesSeq + 3])
    expect(liveSeqs(a, 'prices')).toEqual([pricesSeq + 1, pricesSeq + 2, pricesSeq + 3])
    expect(liveFrames(b, 'trades')).toEqual(liveFrames(a, 'trades'))
    expect(liveFrames(b, 'prices')).toEqual(liveFrames(a, 'prices'))

    const trader = getAddress(devnet.wallets[1]!.address)
    const receipts = await Promise.all(made.map((hash) => devnet.wallets[0]!.client.getTransactionReceipt({ hash })))
    expect(tradesOf(a)).toEqual(receipts.map((r) => expect.objectContaining({ txHash: r.transactionHash, blockNumber: Number(r.blockNumber), tokenAddress: token, trader, type: 'buy' })))
  })

  it('resumes a client on the other gateway with since: the same stream as a client that never left', async () => {
    const stayer = await client(gateways[0].url)
    const leaver = await client(gateways[0].url)
    const s0 = await subscribeRaw(stayer, 'trades', { tokens: [token] }, 'sub')
    expect(await subscribeRaw(leaver, 'trades', { tokens: [token] }, 'sub')).toEqual(s0)

    const before = await buyMany(2)
    await Promise.all([stayer, leaver].map((c) => c.until(hasAll(before)(c), 'the buys before leaving')))
    const since = lastSeqOf(leaver, 'trades')!
    await leaver.close()

    const away = await buyMany(3)
    // On the bus (the client that stayed has them), so they come back from history.
    await stayer.until(hasAll(away)(stayer), 'the buys made while away')
    // More buys while the client comes back: the replay/live boundary is crossed under traffic.
    const during = buyMany(2)
    const back = await client(gateways[1].url)
    expect(back.hello['epoch']).toBe(leaver.hello['epoch'])
    const resumed = await subscribeRaw(back, 'trades', { tokens: [token], since }, 'resume')
    const live = await during
    const all = [...before, ...away, ...live]
    await stayer.until(hasAll(all)(stayer), 'every buy')
    await back.until(hasAll(live)(back), 'the buys made while coming back')

    expect(resumed).toEqual({ type: 'subscribed', id: 'resume', channel: 'trades', params: { tokens: [token], wallets: [] }, seq: expect.any(Number), resumed: true })
    expect(resumed['seq']).toBeGreaterThanOrEqual(since + away.length)
    expect(resumed['seq']).toBeLessThanOrEqual(since + away.length + live.length)

    const first = s0['seq'] as number
    expect(liveSeqs(stayer, 'trades')).toEqual(all.map((_, i) => first + 1 + i))
    expect(tradeHashes(stayer)).toEqual(all)
    expect([...liveFrames(leaver, 'trades'), ...liveFrames(back, 'trades')]).toEqual(liveFrames(stayer, 'trades'))
  })

  it('serves the same prices snapshot and the same HTTP read model on either gateway', async () => {
    await indexed()
    const [a, b] = [await client(gateways[0].url), await client(gateways[1].url)]
    const seq = await busSeq('prices')
    const replies = [await subscribeRaw(a, 'prices', { tokens: [token] }, 'p'), await subscribeRaw(b, 'prices', { tokens: [token] }, 'p')]
    expect(replies[0]).toEqual({ type: 'subscribed', id: 'p', channel: 'prices', params: { tokens: [token] }, seq })
    expect(replies[1]).toEqual(replies[0])
    const snapshots = await Promise.all([a, b].map((c) => c.find((m) => m.type === 'data' && m['snapshot'] === true)))
    const raw = [a, b].map((c) => c.frames.find((f) => f.message['snapshot'] === true)!.text)
    expect(raw[1]).toBe(raw[0])
    expect(snapshots[0]).toEqual({ type: 'data', channel: 'prices', seq, snapshot: true, data: { prices: [expect.objectContaining({ tokenAddress: token, symbol: 'SCL' })] } })
    const item = (snapshots[0]!['data'] as { prices: Record<string, unknown>[] }).prices[0]!
    expect(item['buys24h']).toBe(buys.length)
    expect(item['sells24h']).toBe(0)
    expect(item['price']).toBeGreaterThan(0)

    const [tradesA, tradesB] = await onBoth((g) => getJson(`${g.http}/tokens/${token}/trades?limit=200`))
    expect(tradesA.status).toBe(200)
    expect(tradesB).toEqual(tradesA)
    expect(tradesA.body['address']).toBe(token)
    const trades = tradesA.body['trades'] as Record<string, unknown>[]
    expect(trades.map((t) => t['txHash'])).toEqual([...buys].reverse())
    for (const t of trades) expect(t).toMatchObject({ tokenAddress: token, type: 'buy' })

    const [candlesA, candlesB] = await onBoth((g) => getJson(`${g.http}/tokens/${token}/candles?interval=1m`))
    expect(candlesA.status).toBe(200)
    expect(candlesB).toEqual(candlesA)
    const candles = candlesA.body['candles'] as { trades: number; close: number; volume: number }[]
    expect(candles.length).toBeGreaterThan(0)
    expect(candles.reduce((sum, c) => sum + c.trades, 0)).toBe(buys.length)
    // Candles are rounded to 13 significant digits (see src/state/candles.ts).
    expect(candles.at(-1)!.close).toBeCloseTo(item['price'] as number, 12)

    const [tokenA, tokenB] = await onBoth((g) => getJson(`${g.http}/tokens/${token}`))
    expect(tokenB).toEqual(tokenA)
    expect(tokenA.body).toMatchObject({ address: token, launch: { address: token, symbol: 'SCL', txHash: launchTx, creator: getAddress(devnet.wallets[0]!.address) }, stats: item })
  })
})

describe('a gateway crash', () => {
  /** Client IP whose three slots were held on the gateway that was SIGKILLed. */
  const heldIp = freshIp()

  it('its clients resume on the other gateway with since and miss nothing', async () => {
    const [survivor, victim] = gateways
    const reference = await client(survivor.url)
    const crashed = [await client(victim.url), await client(victim.url)]
    const subscribed = await subscribeRaw(reference, 'trades', { tokens: [token] }, 'sub')
    for (const c of crashed) expect(await subscribeRaw(c, 'trades', { tokens: [token] }, 'sub')).toEqual(subscribed)
    for (let i = 0; i < 3; i++) await client(victim.url, heldIp)

    const made: Hash[] = []
    const stream = (async () => {
      for (let i = 0; i < 6; i++) made.push(await buy())
    })()
    await Promise.all(crashed.map((c) => c.until(() => tradeHashes(c).length >= 2, 'two trades before the crash')))
    await victim.kill()
    expect(await Promise.all(crashed.map((c) => c.closed))).toEqual([1006, 1006])
    const replacement = startServerProcess(gatewayEnv())

    // The dead gateway's slots still count until three heartbeats are missed.
    expect(await refusal(survivor.url, heldIp)).toMatchObject({ status: 429, body: { error: { code: 'too_many_connections' } } })

    const resumed = await Promise.all(
      crashed.map(async (c) => {
        const back = await client(survivor.url)
        expect(back.hello['epoch']).toBe(c.hello['epoch'])
        const reply = await subscribeRaw(back, 'trades', { tokens: [token], since: lastSeqOf(c, 'trades')! }, 'resume')
        expect(reply).toMatchObject({ type: 'subscribed', resumed: true })
        return back
      }),
    )
    await stream
    await reference.until(hasAll(made)(reference), 'every buy of the stream')
    await Promise.all(resumed.map((c) => c.until(hasAll(made.slice(-1))(c), 'the last buy of the stream')))

    expect(tradeHashes(reference)).toEqual(made)
    expect(liveSeqs(reference, 'trades')).toEqual(made.map((_, i) => (subscribed['seq'] as number) + 1 + i))
    crashed.forEach((c, i) => {
      expect([...tradeHashes(c), ...tradeHashes(resumed[i]!)]).toEqual(made)
      expect([...liveFrames(c, 'trades'), ...liveFrames(resumed[i]!, 'trades')]).toEqual(liveFrames(reference, 'trades'))
    })

    const next = await replacement
    processes.push(next)
    gateways = [survivor, next]
  })

  it('caps connections per IP across both gateways: the 4th is refused with 429, a close frees a slot', async () => {
    const [g1, g2] = gateways
    const ip = freshIp()
    const held = [await client(g1.url, ip), await client(g2.url, ip), await client(g1.url, ip)]
    const tooMany = { status: 429, body: { error: { code: 'too_many_connections', message: 'at most 3 connections per IP address' } } }
    expect(await refusal(g2.url, ip)).toEqual(tooMany)
    expect(await refusal(g1.url, ip)).toEqual(tooMany)
    // Another IP is not affected.
    await client(g2.url)

    await held[1]!.close()
    // The slot is given back through Redis after the socket closed: retry until admitted.
    const again = await waitFor(async () => {
      const result = await tryOpen(g1.url, ip)
      if ('status' in result) {
        expect(result).toEqual(tooMany)
        return undefined
      }
      clients.push(result)
      return result
    }, { message: 'a slot freed by the close' })
    expect(again.hello.type).toBe('connected')
    expect(await refusal(g2.url, ip)).toEqual(tooMany)
  })

  it("releases the SIGKILLed gateway's slots after three missed heartbeats", async () => {
    const [g1, g2] = gateways
    const admitted = await waitFor(async () => {
      const result = await tryOpen(g1.url, heldIp)
      if ('status' in result) {
        expect(result.status).toBe(429)
        return undefined
      }
      clients.push(result)
      return result
    }, { timeoutMs: 20_000, intervalMs: 250, message: "the dead gateway's slots released" })
    expect(admitted.hello.type).toBe('connected')
    // All three of the dead gateway's slots are free: two more, then the cap.
    await client(g2.url, heldIp)
    await client(g1.url, heldIp)
    expect(await refusal(g2.url, heldIp)).toMatchObject({ status: 429, body: { error: { code: 'too_many_connections' } } })
  })
})
