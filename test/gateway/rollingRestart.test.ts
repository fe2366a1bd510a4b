import WebSocket from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getAddress, parseAbiItem, parseEther, type Address, type Hash } from 'viem'
import { startDevnet, type DevnetFixture } from '../support/devnet.js'
import { startTestRedis, type TestRedis } from '../support/redisServer.js'
import { startServerProcess, type ServerProcess } from '../support/serverProcess.js'
import { waitFor } from '../support/waitFor.js'
import type { Received } from '../support/wsClient.js'

/**
 * A rolling restart of the gateways while trades flow (README, Operations → Rolling restarts), with
 * real processes: a standalone devnet (anvil, automine: one block per buy), a Redis of the test's own,
 * one `ROLE=indexer` and two `ROLE=gateway` processes, A and B, each on a fixed port (the load
 * balancer's view). The test SIGTERMs A, waits for its exit and starts a new A on the same port, then
 * does the same with B. Its clients reconnect as a client should: on any close, to the other gateway
 * first (then the same one), past refused upgrades, re-subscribing with `params.since` = the last seq.
 *
 * The reference is the chain: the buys the test made, in chain order (the pair's `Swap` logs), one
 * `trades` message per block, numbered from the subscription's seq on — the stream of a client that
 * never disconnected. Every client's stream, across all its connections, must be exactly that.
 *
 * The test starts its own processes on its own Redis, so it runs once (in the `memory` project).
 */

const PREFIX = 'rolling:'
const GRACE_MS = 1000
const SPREAD_MS = 500
const SHUTDOWN_TIMEOUT_MS = 4000
const SWAP = parseAbiItem('event Swap(address indexed sender, uint256 amount0In, uint256 amount1In, uint256 amount0Out, uint256 amount1Out, address indexed to)')

type GatewayName = 'A' | 'B'
const otherThan = (g: GatewayName): GatewayName => (g === 'A' ? 'B' : 'A')

let devnet: DevnetFixture
let redis: TestRedis
let redisClient: ReturnType<TestRedis['client']> | undefined
const rc = () => (redisClient ??= redis.client())
let indexer: ServerProcess
/** The process serving each gateway's port now. */
const gateways = {} as Record<GatewayName, ServerProcess>
/** Every process the test started, in order (the old gateways too, for their logs). */
const processes: ServerProcess[] = []
const clients: RollingClient[] = []
let token: Address
let pair: Address
let buys: Buyer | null = null

/** SIGTERMs so far: a close is attributed to the restart in progress when it arrives. */
const restarts: { gateway: GatewayName; on: string[] }[] = []

/** What the test process saw, in the order it saw it (HTTP answers and WebSocket events share its event loop). */
type Event =
  | { kind: 'sigterm'; gateway: GatewayName }
  | { kind: 'ready'; gateway: GatewayName; status: number; body: unknown; retryAfter: string | null }
  | { kind: 'refused'; client: string; gateway: GatewayName; status: number; body: unknown; retryAfter: string | null }
  | { kind: 'close'; client: string; gateway: GatewayName; code: number; reason: string; restart: number }
  | { kind: 'exit'; gateway: GatewayName; code: number | null }
const events: Event[] = []

function gatewayEnv(port?: number): Record<string, string> {
  return {
    ROLE: 'gateway',
    REDIS_URL: redis.url,
    REDIS_PREFIX: PREFIX,
    DRAIN_GRACE_MS: String(GRACE_MS),
    DRAIN_SPREAD_MS: String(SPREAD_MS),
    SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
    ...(port !== undefined ? { WS_PORT: String(port) } : {}),
  }
}

const urlOf = (g: GatewayName) => gateways[g].url

async function ready(g: GatewayName): Promise<{ status: number; body: unknown; retryAfter: string | null }> {
  const res = await fetch(`${gateways[g].http}/ready`)
  return { status: res.status, body: (await res.json()) as unknown, retryAfter: res.headers.get('retry-after') }
}

async function busSeq(): Promise<number> {
  return Number((await rc().get(`${PREFIX}seq:trades`)) ?? 0)
}

// ---------------------------------------------------------------------------------------------
// A reconnecting client

/** One `trades` data frame as it came off the wire. */
type Frame = { text: string; seq: number; txHashes: string[] }

/** One WebSocket connection of a client, from `connected` to its close. */
type Connection = {
  gateway: GatewayName
  hello: Received
  /** The `since` its subscribe carried (none on the first connection). */
  since: number | undefined
  /** The reply to its subscribe (matched by id). */
  subscribed: Received | null
  frames: Frame[]
  /** Every message after `connected` but the trades data frames and the subscribe's reply. */
  other: Received[]
  close: { code: number; reason: string } | null
}

type Failure = { gateway: GatewayName; status?: number; code?: string; retryAfter?: string | null; error?: string }

type RollingClient = {
  name: string
  connections: Connection[]
  /** Upgrades that did not give a connection: HTTP refusals (503 draining/starting) or socket errors. */
  failures: Failure[]
  /** Anything that went wrong inside the client (must stay empty). */
  errors: string[]
  /** Connected, and its subscribe was answered. */
  settled(): boolean
  current(): Connection | undefined
  lastSeq(): number | undefined
  /** Every trades data frame received, across connections, in order. */
  frames(): Frame[]
  stop(): void
}

/**
 * A client of the `trades` firehose that reconnects on any close: to the other gateway first, then
 * the same one, again and again (100 ms apart once both refused) until one admits it; it subscribes
 * with `since` = the last seq it received (or the seq of its first `subscribed` when it has received
 * nothing yet). `beforeReconnect` runs after a close, before the first attempt.
 */
function rollingClient(name: string, first: GatewayName, beforeReconnect?: (c: RollingClient) => Promise<void>): RollingClient {
  const connections: Connection[] = []
  const failures: Failure[] = []
  const errors: string[] = []
  let lastSeq: number | undefined
  let stopped = false
  let open: { ws: WebSocket; connection: Connection } | null = null

  /** One upgrade to `gateway`: true once `connected` arrived (and the subscribe was sent). */
  function attempt(gateway: GatewayName): Promise<boolean> {
    return new Promise((resolve) => {
      let done = false
      const settle = (ok: boolean) => {
        if (done) return
        done = true
        resolve(ok)
      }
      const ws = new WebSocket(urlOf(gateway))
      let connection: Connection | null = null
      ws.once('unexpected-response', (req, res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => (body += chunk))
        res.on('end', () => {
          req.destroy()
          const parsed = JSON.parse(body) as { error?: { code?: string } }
          const retryAfter = res.headers['retry-after'] ?? null
          failures.push({ gateway, status: res.statusCode ?? 0, code: parsed.error?.code ?? '?', retryAfter })
          events.push({ kind: 'refused', client: name, gateway, status: res.statusCode ?? 0, body: parsed, retryAfter })
          settle(false)
        })
      })
      ws.on('error', (err: NodeJS.ErrnoException) => {
        if (connection) return errors.push(`${gateway}: socket error ${err.message}`)
        if (!done) failures.push({ gateway, error: err.code ?? err.message })
        settle(false)
      })
      ws.on('message', (data) => {
        const text = data.toString()
        const message = JSON.parse(text) as Received
        if (!connection) {
          if (message.type !== 'connected') return errors.push(`${gateway}: first message ${text.slice(0, 200)}`)
          const since = connections.length === 0 ? undefined : lastSeq
          connection = { gateway, hello: message, since, subscribed: null, frames: [], other: [], close: null }
          connections.push(connection)
          open = { ws, connection }
          const params = { tokens: ['*'], ...(since !== undefined ? { since } : {}) }
          ws.send(JSON.stringify({ type: 'subscribe', id: `sub-${connections.length}`, channel: 'trades', params }))
          return settle(true)
        }
        if (message.type === 'subscribed' && message['id'] === `sub-${connections.length}` && connection.subscribed === null && connection === connections.at(-1)) {
          connection.subscribed = message
          if (lastSeq === undefined) lastSeq = message['seq'] as number
        } else if (message.type === 'data' && message['channel'] === 'trades') {
          const seq = message['seq'] as number
          const txHashes = (message['data'] as { trades: { txHash: string }[] }).trades.map((t) => t.txHash)
          connection.frames.push({ text, seq, txHashes })
          lastSeq = seq
        } else connection.other.push(message)
      })
      ws.on('close', (code, reason) => {
        if (!connection) return settle(false)
        connection.close = { code, reason: reason.toString() }
        events.push({ kind: 'close', client: name, gateway, code, reason: reason.toString(), restart: restarts.length - 1 })
        open = null
        if (stopped) return
        void (async () => {
          await beforeReconnect?.(client)
          await reconnect([otherThan(gateway), gateway])
        })().catch((err: unknown) => errors.push(`reconnecting: ${(err as Error).message}`))
      })
    })
  }

  async function reconnect(order: GatewayName[]): Promise<void> {
    for (;;) {
      for (const g of order) {
        if (stopped) return
        if (await attempt(g)) return
      }
      // Both refused or unreachable: the client's backoff before the next round.
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }

  const client: RollingClient = {
    name,
    connections,
    failures,
    errors,
    settled: () => open !== null && open.connection.subscribed !== null,
    current: () => open?.connection,
    lastSeq: () => lastSeq,
    frames: () => connections.flatMap((c) => c.frames),
    stop() {
      stopped = true
      open?.ws.terminate()
    },
  }
  void reconnect([first, otherThan(first)]).catch((err: unknown) => errors.push(`connecting: ${(err as Error).message}`))
  clients.push(client)
  return client
}

// ---------------------------------------------------------------------------------------------
// Trades

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
async function swapsOnChain(fromBlock: number): Promise<{ txHash: string; blockNumber: number }[]> {
  const head = await devnet.wallets[0]!.client.getBlockNumber({ cacheTime: 0 })
  const logs = await devnet.wallets[0]!.client.getLogs({ address: pair, event: SWAP, fromBlock: BigInt(fromBlock), toBlock: head })
  return logs.map((l) => ({ txHash: l.transactionHash, blockNumber: Number(l.blockNumber) }))
}

/** Waits until the indexer has committed every block up to the chain's head. */
async function indexed(): Promise<void> {
  const head = Number(await devnet.wallets[0]!.client.getBlockNumber({ cacheTime: 0 }))
  await waitFor(async () => ((await indexer.health())['chain'] as { processed: number }).processed >= head, { timeoutMs: 15_000, intervalMs: 50, message: `the indexer processed block ${head}` })
}

/** Waits until every client is connected and subscribed, and has received a live frame newer than the bus's seq now. */
async function allLive(what: string): Promise<void> {
  await waitFor(() => clients.every((c) => c.settled()), { timeoutMs: 15_000, message: `every client reconnected and subscribed (${what})` })
  const seq = await busSeq()
  await waitFor(() => clients.every((c) => (c.lastSeq() ?? 0) > seq), { timeoutMs: 15_000, message: `every client received a trade after seq ${seq} (${what})` })
}

// ---------------------------------------------------------------------------------------------
// A restart

/**
 * SIGTERM to gateway `g`; polls its `/ready` until 503; waits for its exit; starts a new process on
 * the same port and waits until it is ready. `duringGrace` runs once `/ready` said 503.
 */
async function restart(g: GatewayName, duringGrace?: () => void): Promise<void> {
  const old = gateways[g]
  restarts.push({ gateway: g, on: clients.filter((c) => c.current()?.gateway === g).map((c) => c.name) })
  events.push({ kind: 'sigterm', gateway: g })
  const exited = old.stop()
  await waitFor(async () => {
    const answer = await ready(g)
    events.push({ kind: 'ready', gateway: g, ...answer })
    return answer.status === 503
  }, { timeoutMs: 5000, intervalMs: 10, message: `gateway ${g}'s /ready turns 503 after SIGTERM` })
  duringGrace?.()
  const code = await exited
  events.push({ kind: 'exit', gateway: g, code })
  const fresh = await startServerProcess(gatewayEnv(old.port))
  processes.push(fresh)
  gateways[g] = fresh
  await waitFor(async () => (await ready(g)).status === 200, { timeoutMs: 10_000, intervalMs: 50, message: `the new gateway ${g} is ready` })
}

// ---------------------------------------------------------------------------------------------
// Diagnostics

function summary(c: RollingClient): string {
  const lines = c.connections.map((k, i) => {
    const seqs = k.frames.map((f) => f.seq)
    const sub = k.subscribed ? `subscribed seq ${String(k.subscribed['seq'])} resumed ${String(k.subscribed['resumed'])}` : 'no subscribed'
    return `  #${i} ${k.gateway} since ${String(k.since)}, ${sub}, ${seqs.length} frames ${seqs[0] ?? '-'}..${seqs.at(-1) ?? '-'}, other ${JSON.stringify(k.other).slice(0, 300)}, close ${JSON.stringify(k.close)}`
  })
  return `${c.name}: failures ${JSON.stringify(c.failures)} errors ${JSON.stringify(c.errors)}\n${lines.join('\n')}`
}

async function explained<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body()
  } catch (err) {
    const seq = await busSeq().catch(() => null)
    const logs = processes.map((p) => `--- process ${p.pid} on ${p.port} (${p.running() ? 'running' : 'exited'}):\n${p.output().slice(-6000)}`).join('\n')
    const seen = events.map((e) => JSON.stringify(e)).join('\n')
    throw new Error(`${(err as Error).message}\n--- bus trades seq: ${seq}\n--- events:\n${seen}\n--- clients:\n${clients.map(summary).join('\n')}\n${logs}`, { cause: err })
  }
}

// ---------------------------------------------------------------------------------------------

const skip = process.env['TEST_BUS'] === 'redis'

beforeAll(async () => {
  if (skip) return
  ;[devnet, redis] = await Promise.all([startDevnet(), startTestRedis()])
  const startBlock = (await devnet.wallets[0]!.client.getBlockNumber()) + 1n
  indexer = await startServerProcess({ ROLE: 'indexer', REDIS_URL: redis.url, REDIS_PREFIX: PREFIX, CORE_NETWORK: 'devnet', DEVNET_FILE: devnet.deploymentFile, CHECKPOINT_FILE: `${devnet.dir}/checkpoint-rolling.json`, START_BLOCK: String(startBlock) })
  processes.push(indexer)
  const launched = await devnet.actions.launchToken({ wallet: devnet.wallets[0]!, name: 'Rolling', symbol: 'ROLL', supply: parseEther('1000000'), liquidityCore: parseEther('1000'), liquidityTokens: parseEther('500000') })
  token = getAddress(launched.token)
  pair = getAddress(launched.pair)
  const [a, b] = await Promise.all([startServerProcess(gatewayEnv()), startServerProcess(gatewayEnv())])
  processes.push(a, b)
  gateways.A = a
  gateways.B = b
  // The gateways serve once the indexer has started the bus's numbering (an epoch in Redis).
  await waitFor(async () => (await ready('A')).status === 200 && (await ready('B')).status === 200, { timeoutMs: 20_000, intervalMs: 50, message: 'both gateways ready' })
})

afterAll(async () => {
  for (const c of clients) c.stop()
  await buys?.stop()
  await Promise.all(processes.map((p) => p.stop()))
  await redis?.stop()
  await devnet?.stop()
})

describe.skipIf(skip)('a rolling restart of two gateways', () => {
  it('restarts A then B while trades flow: every client resumes and receives every trade exactly once, in chain order', async () => {
    await explained(async () => {
      // Three clients on each gateway; the third of each reconnects only once the bus has moved past
      // what it received, so that its resume has something to replay.
      const movedOn = async (c: RollingClient) => {
        const last = c.lastSeq() ?? 0
        await waitFor(async () => (await busSeq()) > last, { timeoutMs: 15_000, message: `${c.name}: the bus moved past seq ${last}` })
      }
      const initial = [
        rollingClient('a1', 'A'),
        rollingClient('a2', 'A'),
        rollingClient('a3-late-resume', 'A', movedOn),
        rollingClient('b1', 'B'),
        rollingClient('b2', 'B'),
        rollingClient('b3-late-resume', 'B', movedOn),
      ]
      await waitFor(() => initial.every((c) => c.settled()), { timeoutMs: 15_000, message: 'every client connected and subscribed' })
      expect(initial.map((c) => c.current()!.gateway)).toEqual(['A', 'A', 'A', 'B', 'B', 'B'])
      const firstSubscribed = initial.map((c) => c.connections[0]!.subscribed!)
      const s0 = firstSubscribed[0]!['seq'] as number
      for (const s of firstSubscribed) expect(s).toEqual({ type: 'subscribed', id: 'sub-1', channel: 'trades', params: { tokens: ['*'], wallets: [] }, seq: s0 })
      const epoch = (await rc().get(`${PREFIX}epoch`))!
      expect(epoch).toEqual(expect.any(String))

      const firstBlock = Number(await devnet.wallets[0]!.client.getBlockNumber({ cacheTime: 0 })) + 1
      const running = (buys = buyer())
      await waitFor(() => initial.every((c) => c.frames().length >= 2), { timeoutMs: 15_000, message: 'two trades on every client before the first restart' })

      // A drains. A client arriving during the grace — the load balancer has not noticed yet — is refused by A and goes to B.
      let late: RollingClient | undefined
      await restart('A', () => (late = rollingClient('late-joiner', 'A')))
      await allLive('after restarting A')
      expect(clients.map((c) => c.current()!.gateway)).toEqual(['B', 'B', 'B', 'B', 'B', 'B', 'B'])

      await restart('B')
      await allLive('after restarting B')
      expect(clients.map((c) => c.current()!.gateway)).toEqual(['A', 'A', 'A', 'A', 'A', 'A', 'A'])

      const made = await running.stopAt(running.made.length + 3, 'three more buys after both restarts')
      await indexed()
      const last = await busSeq()
      await waitFor(() => clients.every((c) => c.lastSeq() === last), { timeoutMs: 15_000, message: `every client received the bus's last trades message (seq ${last})` })

      // The chain's truth: the buys, in chain order, one per block; the stream of a client that never
      // disconnected numbers them s0 + 1, s0 + 2, … (one trades message per block).
      const chain = await swapsOnChain(firstBlock)
      expect(chain.map((s) => s.txHash)).toEqual(made)
      expect(new Set(chain.map((s) => s.blockNumber)).size).toBe(made.length)
      expect(last).toBe(s0 + made.length)
      const reference = made.map((hash, i) => ({ seq: s0 + 1 + i, txHashes: [hash] }))

      // The B clients' first connections lived through A's restart untouched: a prefix of the reference.
      for (const c of initial.slice(3)) expect(c.connections[0]!.frames.map((f) => ({ seq: f.seq, txHashes: f.txHashes })), c.name).toEqual(reference.slice(0, c.connections[0]!.frames.length))

      const lateJoiner = late!
      const lateSeq = lateJoiner.connections[0]!.subscribed!['seq'] as number
      expect(lateJoiner.connections[0]!.subscribed).toEqual({ type: 'subscribed', id: 'sub-1', channel: 'trades', params: { tokens: ['*'], wallets: [] }, seq: lateSeq })
      const expectedStream = (c: RollingClient) => (c === lateJoiner ? reference.filter((r) => r.seq > lateSeq) : reference)
      for (const c of clients) {
        const frames = c.frames()
        expect(frames.every((f, i) => i === 0 || f.seq > frames[i - 1]!.seq), `${c.name}: seqs strictly increasing`).toBe(true)
        // (1) every buy exactly once, in chain order; (2) seqs strictly increasing, without gap or repeat.
        expect(frames.map((f) => ({ seq: f.seq, txHashes: f.txHashes })), c.name).toEqual(expectedStream(c))
        expect(c.errors, c.name).toEqual([])
        for (const k of c.connections) {
          // The same numbering everywhere; nothing but trades and the subscribe's reply.
          expect(k.hello['epoch'], c.name).toBe(epoch)
          expect(k.other, c.name).toEqual([])
        }
        // Every subscribe after a reconnect resumed (the history reached back).
        for (const k of c.connections.slice(1)) {
          expect(k.since, c.name).toEqual(expect.any(Number))
          expect(k.subscribed, c.name).toEqual({ type: 'subscribed', id: `sub-${c.connections.indexOf(k) + 1}`, channel: 'trades', params: { tokens: ['*'], wallets: [] }, seq: expect.any(Number), resumed: true })
          // The replay starts right after `since`.
          if (k.frames.length > 0) expect(k.frames[0]!.seq, c.name).toBe(k.since! + 1)
        }
      }
      // (3) The same bytes on every connection of every client: one stream, whichever gateway sent it, live or replayed.
      const bySeq = new Map<number, string>()
      for (const f of clients.flatMap((c) => c.frames())) {
        expect(f.text).toBe(bySeq.get(f.seq) ?? f.text)
        bySeq.set(f.seq, f.text)
      }
      expect([...bySeq.keys()].sort((x, y) => x - y)).toEqual(reference.map((r) => r.seq))

      // The clients that waited for the bus to move on before reconnecting did get a replay.
      for (const c of clients.filter((k) => k.name.endsWith('late-resume'))) {
        for (const k of c.connections.slice(1)) expect(k.subscribed!['seq'] as number, c.name).toBeGreaterThan(k.since!)
      }

      // (4) Closes: each client closed exactly once, with 1012, by every restart of the gateway it was on — and by nothing else.
      const closes = events.filter((e): e is Extract<Event, { kind: 'close' }> => e.kind === 'close')
      expect(closes.filter((e) => e.code !== 1012 || e.reason !== 'service restart: reconnect')).toEqual([])
      restarts.forEach((r, i) => {
        const closedBy = closes.filter((e) => e.restart === i)
        expect(closedBy.map((e) => e.client).sort(), `restart ${i} of ${r.gateway}`).toEqual([...r.on].sort())
        for (const e of closedBy) expect(e.gateway).toBe(r.gateway)
      })
      expect(restarts.map((r) => r.on.length)).toEqual([3, 7])
      const count = (name: string) => closes.filter((e) => e.client === name).length
      expect(clients.map((c) => [c.name, count(c.name)])).toEqual([
        ['a1', 2], ['a2', 2], ['a3-late-resume', 2], ['b1', 1], ['b2', 1], ['b3-late-resume', 1], ['late-joiner', 1],
      ])
      for (const c of clients) expect(c.connections.length, c.name).toBe(count(c.name) + 1)

      // The drain's order: /ready said 503 draining (and an upgrade was refused with 503 draining) before the first 1012.
      const sigterms = events.flatMap((e, k) => (e.kind === 'sigterm' ? [k] : []))
      restarts.forEach((r, i) => {
        const span = events.slice(sigterms[i]! + 1, sigterms[i + 1])
        const firstClose = span.findIndex((e) => e.kind === 'close' && e.restart === i)
        const first503 = span.findIndex((e) => e.kind === 'ready' && e.status === 503)
        expect(first503, `restart ${i}`).toBeGreaterThanOrEqual(0)
        expect(first503, `restart ${i}: /ready 503 before the first 1012`).toBeLessThan(firstClose)
        expect(span[first503]).toEqual({ kind: 'ready', gateway: r.gateway, status: 503, body: { status: 'draining' }, retryAfter: '1' })
        // Until then /ready said 200 ready.
        for (const e of span.slice(0, first503)) if (e.kind === 'ready') expect(e).toMatchObject({ status: 200, body: { status: 'ready' } })
        const exit = span.find((e) => e.kind === 'exit')
        expect(exit, `restart ${i}`).toEqual({ kind: 'exit', gateway: r.gateway, code: 0 })
      })
      // The late joiner was refused once, by the draining A; everyone else was admitted by the first gateway it tried (ready).
      expect(lateJoiner.failures).toEqual([{ gateway: 'A', status: 503, code: 'draining', retryAfter: '1' }])
      for (const c of initial) expect(c.failures, c.name).toEqual([])
      const refusedAt = events.findIndex((e) => e.kind === 'refused' && e.client === 'late-joiner')
      const firstCloseOfA = events.findIndex((e) => e.kind === 'close' && e.restart === 0)
      expect(refusedAt).toBeLessThan(firstCloseOfA)
      expect(lateJoiner.connections[0]!.gateway).toBe('B')

      // Each old gateway logged the drain of the clients it had, with 1012.
      const drained = processes.filter((p) => !p.running() && p !== indexer)
      expect(drained).toHaveLength(2)
      drained.forEach((p, i) => {
        const line = p.output().split('\n').find((l) => l.includes('"msg":"closing clients"'))
        expect(line, `gateway ${p.pid}`).toBeDefined()
        expect(JSON.parse(line!)).toMatchObject({ clients: restarts[i]!.on.length, code: 1012, spreadMs: SPREAD_MS })
      })
    })
  }, 60_000)
})
