import WebSocket from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getAddress, parseAbiItem, parseEther, type Address, type Hash } from 'viem'
import { connect, type ChannelEvent, type MemeClient, type WebSocketLike } from '../../src/client/index.js'
import { startDevnet, type DevnetFixture } from '../support/devnet.js'
import { startTestRedis, type TestRedis } from '../support/redisServer.js'
import { startServerProcess, type ServerProcess } from '../support/serverProcess.js'
import { waitFor } from '../support/waitFor.js'

/**
 * A rolling restart of the gateways while trades flow (README, Operations → Rolling restarts), with
 * real processes: a standalone devnet (anvil, automine: one block per buy), a Redis of the test's own,
 * one `ROLE=indexer` and two `ROLE=gateway` processes, A and B, each on a fixed port (the load
 * balancer's view). The test SIGTERMs A, waits for its exit and starts a new A on the same port, then
 * does the same with B. Its clients are the typed client (`src/client`), each given both gateways
 * (its own first): on a close it reconnects to the next one in turn, at once after 1012, and resumes
 * its `trades` subscription with `since`.
 *
 * The reference is the chain: the buys the test made, in chain order (the pair's `Swap` logs), one
 * `trades` message per block, numbered from the subscription's seq on — the stream of a client that
 * never disconnected. What every client's handler received, across all its connections, must be
 * exactly that, with no `gap`.
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
const clients: Follower[] = []
let token: Address
let pair: Address
let buys: Buyer | null = null

/** SIGTERMs so far: a close is attributed to the restart in progress when it arrives. */
const restarts: { gateway: GatewayName; on: string[] }[] = []

/** What the test process saw, in the order it saw it (HTTP answers, sockets and client events share its event loop). */
type Event =
  | { kind: 'sigterm'; gateway: GatewayName }
  | { kind: 'ready'; gateway: GatewayName; status: number; body: unknown; retryAfter: string | null }
  | { kind: 'refused'; client: string; gateway: GatewayName; status: number; body: unknown; retryAfter: string | null }
  | { kind: 'connected'; client: string; gateway: GatewayName; epoch: string }
  | { kind: 'disconnected'; client: string; gateway: GatewayName; code: number; restart: number; retryInMs: number; attempt: number }
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
/** Which gateway a URL names (a restarted gateway keeps its port, so its URL). */
function gatewayAt(url: string): GatewayName {
  const g = (['A', 'B'] as const).find((name) => urlOf(name) === url)
  if (!g) throw new Error(`no gateway at ${url}`)
  return g
}

async function ready(g: GatewayName): Promise<{ status: number; body: unknown; retryAfter: string | null }> {
  const res = await fetch(`${gateways[g].http}/ready`)
  return { status: res.status, body: (await res.json()) as unknown, retryAfter: res.headers.get('retry-after') }
}

async function busSeq(): Promise<number> {
  return Number((await rc().get(`${PREFIX}seq:trades`)) ?? 0)
}

// ---------------------------------------------------------------------------------------------
// The clients: the typed client, watched

/** One WebSocket a client opened, as seen on the wire: where to, what went over it, how it ended. */
type Socket = {
  gateway: GatewayName
  /** The upgrade was refused: the HTTP answer (status, error code, `Retry-After`). */
  refused?: { status: number; code: string; retryAfter: string | null }
  /** The `since` of the `trades` subscribe the client sent (null: none). */
  since?: number | null
  /** The server's reply to it. */
  reply?: { seq: number; resumed: boolean | null }
  /** The seqs of the `trades` data frames that came in, in order. */
  seqs: number[]
  error?: string
  close?: { code: number; reason: string }
}

type DataEvent = Extract<ChannelEvent<'trades'>, { type: 'data' }>
type SubscribedEvent = Extract<ChannelEvent<'trades'>, { type: 'subscribed' }>

/** A typed client on `trades`, with what it did and what its handler got. */
type Follower = {
  name: string
  client: MemeClient
  /** Every event its `trades` handler got, in order. */
  events: ChannelEvent<'trades'>[]
  /** Every WebSocket it opened, in order. */
  sockets: Socket[]
  /** Its `error` events (must stay empty). */
  errors: string[]
  /** The gateway it is connected to now (null between connections). */
  current: GatewayName | null
  /** Connected, and its subscribe on this connection answered. */
  settled: boolean
  data(): DataEvent[]
  subscribed(): SubscribedEvent[]
  /** The newest seq handed to its handler: the last data's, or its first `subscribed`'s. */
  lastSeq(): number | undefined
}

/**
 * The WebSocket the typed client is given: `ws`'s, recording in `socket` what went over it (the HTTP
 * answer when the upgrade was refused), and connecting only once `hold` resolved.
 */
class WatchedSocket implements WebSocketLike {
  onopen: WebSocketLike['onopen'] = null
  onmessage: WebSocketLike['onmessage'] = null
  onclose: WebSocketLike['onclose'] = null
  onerror: WebSocketLike['onerror'] = null
  private ws: WebSocket | null = null
  /** Closed by the client before it connected. */
  private dropped = false

  constructor(
    url: string,
    client: string,
    private readonly socket: Socket,
    hold: Promise<void>,
  ) {
    void hold.then(() => {
      if (this.dropped) return
      const ws = (this.ws = new WebSocket(url))
      ws.on('open', () => this.onopen?.({}))
      ws.on('message', (data) => {
        const text = String(data)
        const message = JSON.parse(text) as { type: string; channel?: string; seq?: number; resumed?: boolean }
        if (message.type === 'subscribed' && message.channel === 'trades') socket.reply ??= { seq: message.seq!, resumed: message.resumed ?? null }
        else if (message.type === 'data' && message.channel === 'trades') socket.seqs.push(message.seq!)
        this.onmessage?.({ data: text })
      })
      ws.on('error', (err) => {
        socket.error ??= err.message
        this.onerror?.(err)
      })
      ws.on('close', (code, reason) => {
        socket.close = { code, reason: reason.toString() }
        this.onclose?.({ code, reason: reason.toString() })
      })
      // A refused upgrade: read the answer, then abort the handshake (`error` and `close` 1006 follow).
      ws.once('unexpected-response', (_req, res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => (body += chunk))
        res.on('end', () => {
          const parsed = JSON.parse(body) as { error?: { code?: string } }
          const retryAfter = (res.headers['retry-after'] as string | undefined) ?? null
          socket.refused = { status: res.statusCode ?? 0, code: parsed.error?.code ?? '?', retryAfter }
          events.push({ kind: 'refused', client, gateway: socket.gateway, status: res.statusCode ?? 0, body: parsed, retryAfter })
          ws.terminate()
        })
      })
    })
  }

  get readyState(): number {
    return this.ws?.readyState ?? (this.dropped ? WebSocket.CLOSED : WebSocket.CONNECTING)
  }

  send(data: string): void {
    const message = JSON.parse(data) as { type: string; channel?: string; params?: { since?: number } }
    if (message.type === 'subscribe' && message.channel === 'trades') this.socket.since ??= message.params?.since ?? null
    this.ws?.send(data)
  }

  close(code?: number, reason?: string): void {
    if (this.ws) return this.ws.close(code, reason)
    this.dropped = true
    this.onclose?.({ code: 1006, reason: '' })
  }
}

/**
 * A typed client of the `trades` firehose: `connect([first, other])`, subscribed to every token.
 * `beforeReconnect` runs before each of its sockets after the first connects (the socket waits for it).
 */
function follower(name: string, first: GatewayName, beforeReconnect?: (f: Follower) => Promise<void>): Follower {
  const sockets: Socket[] = []
  const errors: string[] = []
  const hold = (): Promise<void> =>
    sockets.length > 1 && beforeReconnect ? beforeReconnect(f).catch((err: unknown) => void errors.push(`before reconnecting: ${(err as Error).message}`)) : Promise.resolve()
  const Watched = class extends WatchedSocket {
    constructor(url: string) {
      const socket: Socket = { gateway: gatewayAt(url), seqs: [] }
      sockets.push(socket)
      super(url, name, socket, hold())
    }
  }
  const client = connect([urlOf(first), urlOf(otherThan(first))], { WebSocket: Watched, reconnect: { minMs: 20, maxMs: 200 } })
  const handled: ChannelEvent<'trades'>[] = []
  const f: Follower = {
    name,
    client,
    events: handled,
    sockets,
    errors,
    current: null,
    settled: false,
    data: () => handled.filter((e): e is DataEvent => e.type === 'data'),
    subscribed: () => handled.filter((e): e is SubscribedEvent => e.type === 'subscribed'),
    lastSeq: () => f.data().at(-1)?.seq ?? f.subscribed()[0]?.seq,
  }
  client.subscribe('trades', { tokens: ['*'] }, (event) => {
    handled.push(event)
    if (event.type === 'subscribed') f.settled = true
  })
  client.on('connected', (hello) => {
    f.current = sockets.at(-1)!.gateway
    f.settled = false
    events.push({ kind: 'connected', client: name, gateway: f.current, epoch: hello.epoch })
  })
  client.on('disconnected', ({ code, retryInMs, attempt }) => {
    f.current = null
    f.settled = false
    events.push({ kind: 'disconnected', client: name, gateway: sockets.at(-1)!.gateway, code, restart: restarts.length - 1, retryInMs, attempt })
  })
  client.on('error', (err) => errors.push(err.message))
  clients.push(f)
  return f
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
  await waitFor(() => clients.every((c) => c.settled), { timeoutMs: 15_000, message: `every client reconnected and subscribed (${what})` })
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
  restarts.push({ gateway: g, on: clients.filter((c) => c.current === g).map((c) => c.name) })
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

/** Seqs, short: runs of consecutive ones as `5..9`. */
function runs(seqs: number[]): string {
  const out: [number, number][] = []
  for (const seq of seqs) {
    const run = out.at(-1)
    if (run && seq === run[1] + 1) run[1] = seq
    else out.push([seq, seq])
  }
  return out.map(([from, to]) => (from === to ? `${from}` : `${from}..${to}`)).join(' ') || '-'
}

/** A handler's events, short: consecutive one-trade data messages as `data 5..9`. */
function handlerLog(list: ChannelEvent<'trades'>[]): string {
  const out: string[] = []
  let data: number[] = []
  for (const e of list) {
    if (e.type === 'data' && e.items.length === 1 && !e.snapshot) {
      data.push(e.seq)
      continue
    }
    if (data.length > 0) out.push(`data ${runs(data)}`)
    data = []
    out.push(e.type === 'subscribed' ? `subscribed(seq ${e.seq}, resumed ${String(e.resumed)})` : JSON.stringify(e).slice(0, 300))
  }
  if (data.length > 0) out.push(`data ${runs(data)}`)
  return out.join(', ')
}

function summary(f: Follower): string {
  const sockets = f.sockets.map((s, i) => {
    const how = s.refused ? `refused ${JSON.stringify(s.refused)}` : `since ${String(s.since)}, reply ${JSON.stringify(s.reply ?? null)}, data ${runs(s.seqs)}`
    return `  socket #${i} to ${s.gateway}: ${how}, ${s.close ? `closed ${s.close.code} ${s.close.reason}` : 'open'}${s.error ? ` (error: ${s.error})` : ''}`
  })
  return `${f.name} (${f.client.state()}, on ${f.current ?? '-'}), errors ${JSON.stringify(f.errors)}\n${sockets.join('\n')}\n  handler: ${handlerLog(f.events)}`
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
  const startBlock = (await devnet.wallets[0]!.client.getBlockNumber({ cacheTime: 0 })) + 1n
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
  for (const c of clients) c.client.close()
  await buys?.stop()
  await Promise.all(processes.map((p) => p.stop()))
  await redis?.stop()
  await devnet?.stop()
})

describe.skipIf(skip)('a rolling restart of two gateways', () => {
  it('restarts A then B while trades flow: every client resumes and its handler receives every trade exactly once, in chain order, without a gap', async () => {
    await explained(async () => {
      // Three clients on each gateway; the third of each reconnects only once the bus has moved past
      // what it received, so that its resume has something to replay.
      const movedOn = async (f: Follower) => {
        const last = f.lastSeq() ?? 0
        await waitFor(async () => (await busSeq()) > last, { timeoutMs: 15_000, message: `${f.name}: the bus moved past seq ${last}` })
      }
      const initial = [
        follower('a1', 'A'),
        follower('a2', 'A'),
        follower('a3-late-resume', 'A', movedOn),
        follower('b1', 'B'),
        follower('b2', 'B'),
        follower('b3-late-resume', 'B', movedOn),
      ]
      await waitFor(() => initial.every((c) => c.settled), { timeoutMs: 15_000, message: 'every client connected and subscribed' })
      expect(initial.map((c) => c.current)).toEqual(['A', 'A', 'A', 'B', 'B', 'B'])
      const s0 = initial[0]!.subscribed()[0]!.seq
      for (const c of initial) expect(c.events, c.name).toEqual([{ type: 'subscribed', channel: 'trades', params: { tokens: ['*'], wallets: [] }, seq: s0, resumed: null }])
      const epoch = (await rc().get(`${PREFIX}epoch`))!
      expect(epoch).toEqual(expect.any(String))

      const firstBlock = Number(await devnet.wallets[0]!.client.getBlockNumber({ cacheTime: 0 })) + 1
      const running = (buys = buyer())
      await waitFor(() => initial.every((c) => c.data().length >= 2), { timeoutMs: 15_000, message: 'two trades on every client before the first restart' })

      // A drains. A client arriving during the grace — the load balancer has not noticed yet — is refused by A and goes to B.
      let late: Follower | undefined
      await restart('A', () => (late = follower('late-joiner', 'A')))
      await allLive('after restarting A')
      expect(clients.map((c) => c.current)).toEqual(['B', 'B', 'B', 'B', 'B', 'B', 'B'])

      await restart('B')
      await allLive('after restarting B')
      expect(clients.map((c) => c.current)).toEqual(['A', 'A', 'A', 'A', 'A', 'A', 'A'])

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

      const lateJoiner = late!
      const lateSeq = lateJoiner.subscribed()[0]!.seq
      expect(lateJoiner.subscribed()[0]).toEqual({ type: 'subscribed', channel: 'trades', params: { tokens: ['*'], wallets: [] }, seq: lateSeq, resumed: null })
      const expectedStream = (c: Follower) => (c === lateJoiner ? reference.filter((r) => r.seq > lateSeq) : reference)
      for (const c of clients) {
        // (1) The handler saw every buy exactly once, in chain order, numbered without gap or repeat, live (no snapshot)…
        expect(c.data().map((e) => ({ seq: e.seq, txHashes: e.items.map((t) => t.txHash) })), c.name).toEqual(expectedStream(c))
        expect(c.data().filter((e) => e.snapshot), c.name).toEqual([])
        // …and nothing but that and one `subscribed` per connection: no gap, reorg, unsubscribed or error.
        expect(c.events.filter((e) => e.type !== 'data' && e.type !== 'subscribed'), c.name).toEqual([])
        expect(c.errors, c.name).toEqual([])
        const connections = events.filter((e): e is Extract<Event, { kind: 'connected' }> => e.kind === 'connected' && e.client === c.name)
        expect(c.subscribed(), c.name).toHaveLength(connections.length)
        // The same numbering everywhere.
        for (const k of connections) expect(k.epoch, c.name).toBe(epoch)
        expect(c.client.epoch(), c.name).toBe(epoch)
        // Every subscribe after a reconnect resumed (the history reached back).
        for (const s of c.subscribed().slice(1)) expect(s, c.name).toEqual({ type: 'subscribed', channel: 'trades', params: { tokens: ['*'], wallets: [] }, seq: expect.any(Number), resumed: true })
      }
      // (2) The same items under each seq for every client, whichever gateway sent them, live or replayed.
      const bySeq = new Map<number, string>()
      for (const e of clients.flatMap((c) => c.data())) {
        const items = JSON.stringify(e.items)
        expect(items, `seq ${e.seq}`).toBe(bySeq.get(e.seq) ?? items)
        bySeq.set(e.seq, items)
      }
      expect([...bySeq.keys()].sort((x, y) => x - y)).toEqual(reference.map((r) => r.seq))

      // On the wire: each subscribe after a reconnect carried `since` = the last seq the previous
      // connection brought (its reply's when it brought no data), the server resumed it, and the
      // replay started right after it.
      for (const c of clients) {
        const connections = c.sockets.filter((s) => !s.refused)
        expect(connections.map((s) => s.since ?? null), c.name).toEqual(connections.map((_, i) => (i === 0 ? null : (connections[i - 1]!.seqs.at(-1) ?? connections[i - 1]!.reply!.seq))))
        // The handler heard each connection's `subscribed` before the data that connection brought.
        const segments: number[][] = []
        for (const e of c.events) {
          if (e.type === 'subscribed') segments.push([])
          else if (e.type === 'data') segments.at(-1)?.push(e.seq)
        }
        expect(c.events[0]?.type, c.name).toBe('subscribed')
        expect(segments, c.name).toEqual(connections.map((k) => k.seqs))
        for (const k of connections) {
          expect(k.reply, c.name).toEqual({ seq: expect.any(Number), resumed: k === connections[0] ? null : true })
          if (k !== connections[0] && k.seqs.length > 0) expect(k.seqs[0], c.name).toBe(k.since! + 1)
        }
      }
      // The clients that waited for the bus to move on before reconnecting did get a replay.
      for (const c of clients.filter((k) => k.name.endsWith('late-resume'))) {
        for (const k of c.sockets.slice(1)) expect(k.reply!.seq, c.name).toBeGreaterThan(k.since!)
      }

      // (3) The clients moved: each socket of each client, in order — the gateway it went to and how it
      // ended (1012 service restart, for every close; a refused upgrade closes with 1006).
      const socketsOf = (c: Follower) => c.sockets.map((s) => [s.gateway, s.refused ? `refused ${s.refused.status} ${s.refused.code}` : s.close ? `${s.close.code} ${s.close.reason}` : 'open'])
      const drained = '1012 service restart: reconnect'
      expect(clients.map((c) => [c.name, socketsOf(c)])).toEqual([
        ['a1', [['A', drained], ['B', drained], ['A', 'open']]],
        ['a2', [['A', drained], ['B', drained], ['A', 'open']]],
        ['a3-late-resume', [['A', drained], ['B', drained], ['A', 'open']]],
        ['b1', [['B', drained], ['A', 'open']]],
        ['b2', [['B', drained], ['A', 'open']]],
        ['b3-late-resume', [['B', drained], ['A', 'open']]],
        ['late-joiner', [['A', 'refused 503 draining'], ['B', drained], ['A', 'open']]],
      ])
      // The client's own account agrees: its `connected` and `disconnected` events.
      const told = (name: string) => events.flatMap((e) => ('client' in e && e.client === name && e.kind !== 'refused' ? [e.kind === 'connected' ? `connected ${e.gateway}` : `disconnected ${e.gateway} ${e.code}`] : []))
      expect(clients.map((c) => [c.name, told(c.name)])).toEqual([
        ...['a1', 'a2', 'a3-late-resume'].map((name) => [name, ['connected A', 'disconnected A 1012', 'connected B', 'disconnected B 1012', 'connected A']]),
        ...['b1', 'b2', 'b3-late-resume'].map((name) => [name, ['connected B', 'disconnected B 1012', 'connected A']]),
        ['late-joiner', ['disconnected A 1006', 'connected B', 'disconnected B 1012', 'connected A']],
      ])

      // (4) Each restart closed (1012) exactly the clients on the restarting gateway when it got SIGTERM, and nothing else did.
      const closes = events.filter((e): e is Extract<Event, { kind: 'disconnected' }> => e.kind === 'disconnected' && e.code === 1012)
      restarts.forEach((r, i) => {
        const closedBy = closes.filter((e) => e.restart === i)
        expect(closedBy.map((e) => e.client).sort(), `restart ${i} of ${r.gateway}`).toEqual([...r.on].sort())
        for (const e of closedBy) expect(e.gateway).toBe(r.gateway)
      })
      expect(restarts.map((r) => r.on.length)).toEqual([3, 7])

      // The drain's order: /ready said 503 draining (and an upgrade was refused with 503 draining) before the first 1012.
      const sigterms = events.flatMap((e, k) => (e.kind === 'sigterm' ? [k] : []))
      restarts.forEach((r, i) => {
        const span = events.slice(sigterms[i]! + 1, sigterms[i + 1])
        const firstClose = span.findIndex((e) => e.kind === 'disconnected' && e.code === 1012 && e.restart === i)
        const first503 = span.findIndex((e) => e.kind === 'ready' && e.status === 503)
        expect(first503, `restart ${i}`).toBeGreaterThanOrEqual(0)
        expect(first503, `restart ${i}: /ready 503 before the first 1012`).toBeLessThan(firstClose)
        expect(span[first503]).toEqual({ kind: 'ready', gateway: r.gateway, status: 503, body: { status: 'draining' }, retryAfter: '1' })
        // Until then /ready said 200 ready.
        for (const e of span.slice(0, first503)) if (e.kind === 'ready') expect(e).toMatchObject({ status: 200, body: { status: 'ready' } })
        const exit = span.find((e) => e.kind === 'exit')
        expect(exit, `restart ${i}`).toEqual({ kind: 'exit', gateway: r.gateway, code: 0 })
      })
      // The late joiner was refused once, by the draining A (before A closed anyone), and went to B.
      expect(lateJoiner.sockets[0]!.refused).toEqual({ status: 503, code: 'draining', retryAfter: '1' })
      expect(events.filter((e) => e.kind === 'refused')).toEqual([{ kind: 'refused', client: 'late-joiner', gateway: 'A', status: 503, body: expect.objectContaining({ error: expect.objectContaining({ code: 'draining' }) }), retryAfter: '1' }])
      const refusedAt = events.findIndex((e) => e.kind === 'refused')
      const firstCloseOfA = events.findIndex((e) => e.kind === 'disconnected' && e.code === 1012 && e.restart === 0)
      expect(refusedAt).toBeLessThan(firstCloseOfA)

      // Each old gateway logged the drain of the clients it had, with 1012.
      const stopped = processes.filter((p) => !p.running() && p !== indexer)
      expect(stopped).toHaveLength(2)
      stopped.forEach((p, i) => {
        const line = p.output().split('\n').find((l) => l.includes('"msg":"closing clients"'))
        expect(line, `gateway ${p.pid}`).toBeDefined()
        expect(JSON.parse(line!)).toMatchObject({ clients: restarts[i]!.on.length, code: 1012, spreadMs: SPREAD_MS })
      })
    })
  }, 60_000)
})
