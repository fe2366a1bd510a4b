/**
 * A load-generator process of `npm run bench`: opens `count` WebSocket clients (< 15,000: one
 * process holds < 20,000 open files) to one server under test, in its protocol, and measures what
 * they receive. Commands from the bench (bench/suite/ipc.ts):
 *
 *   connect { protocol, url, count, firstIndex, localAddress, concurrency, workload, timeoutMs }
 *           → { established, failed, errors, firstError, ms, connectMs: {p50, p99, max} }
 *   reset   → starts a new measurement (histogram, per-message maxima, receipts per 10 ms, CPU)
 *   counts  → { received, closed }
 *   report { windowStartMs, windowEndMs } → the measurement (see `Report`)
 *   exit
 *
 * Per message it records: receipt time − `sentAt` (the publish time carried in the item), into a
 * log histogram (1 % buckets) for measured messages (`"m":1`); per message number `k` the count and
 * the largest latency (the bench combines them across processes into the fan-out completion time);
 * receipts per 10 ms of wall time (delivered per second in the window); closes by code.
 *
 * Protocols: `ours` and `raw` with the `ws` client (frames are scanned for the stamp, not parsed),
 * `sio` with `socket.io-client` (transports: ['websocket']; it parses every message itself).
 */
import { io, type Socket } from 'socket.io-client'
import WebSocket from 'ws'
import { nowMs, serveRpc } from './ipc.js'
import { BUCKETS, bucketOf } from './stats.js'
import { interestOf, roomsOf, subscribeMessages, type Workload } from './workload.js'

export type Protocol = 'ours' | 'raw' | 'sio'
export type ConnectArgs = {
  protocol: Protocol
  url: string
  count: number
  /** Global index of the first client (the realistic mix is a function of it). */
  firstIndex: number
  localAddress: string
  /** Handshakes in flight at once. */
  concurrency: number
  workload: Workload
  timeoutMs: number
}
export type ConnectResult = { established: number; failed: number; errors: Record<string, number>; firstError: string | null; ms: number; connectMs: { p50: number; p99: number; max: number } }
export type Report = {
  /** Sparse latency histogram of measured messages: [bucket, count]. */
  hist: [number, number][]
  measured: number
  maxLatencyMs: number
  /** Per message number: [k, receipts, largest latency ms]. */
  perK: [number, number, number][]
  /** Receipts inside the window, and how much of the window the whole 10 ms buckets cover. */
  inWindow: number
  coveredMs: number
  received: number
  bytes: number
  closes: Record<string, number>
  cpuMs: number
  wallMs: number
  rssBytes: number
}

const SENT_AT = Buffer.from('"sentAt":')
let hist = new Uint32Array(BUCKETS)
let measured = 0
let maxLatency = 0
let kCount = new Map<number, number>()
let kMax = new Map<number, number>()
let receipts = new Map<number, number>()
let received = 0
let bytes = 0
let closes: Record<string, number> = {}
let closed = 0
/** Every data frame, stamped or not (the soak counts real data). */
let frames = 0
let cpu0 = process.cpuUsage()
let wall0 = nowMs()

function reset(): void {
  hist = new Uint32Array(BUCKETS)
  measured = 0
  maxLatency = 0
  kCount = new Map()
  kMax = new Map()
  receipts = new Map()
  received = 0
  bytes = 0
  closes = {}
  cpu0 = process.cpuUsage()
  wall0 = nowMs()
}

function record(recv: number, sentAt: number, k: number, m: number, size: number): void {
  received++
  bytes += size
  const latency = recv - sentAt
  const slot = Math.floor(recv / 10)
  receipts.set(slot, (receipts.get(slot) ?? 0) + 1)
  kCount.set(k, (kCount.get(k) ?? 0) + 1)
  const max = kMax.get(k)
  if (max === undefined || latency > max) kMax.set(k, latency)
  if (m === 1) {
    hist[bucketOf(latency)]!++
    measured++
    if (latency > maxLatency) maxLatency = latency
  }
}

/** Reads `"sentAt":<ms>,"k":<n>,"m":<0|1>` (the first item's stamp) from a frame without parsing it. */
function recordFrame(data: Buffer, recv: number): void {
  frames++
  const at = data.indexOf(SENT_AT)
  if (at < 0) return // not a bench message (an empty snapshot; real data in the soak)
  let p = at + SENT_AT.length
  const start = p
  while (data[p] !== 0x2c) p++
  const sentAt = Number(data.toString('latin1', start, p))
  p += 5 // ,"k":
  let k = 0
  for (let c = data[p]!; c >= 0x30 && c <= 0x39; c = data[++p]!) k = k * 10 + (c - 0x30)
  p += 5 // ,"m":
  record(recv, sentAt, k, data[p]! - 0x30, data.length)
}

type Stamped = { sentAt: number; k: number; m: number }

function connect(args: ConnectArgs): Promise<ConnectResult> {
  const started = nowMs()
  const errors: Record<string, number> = {}
  const connectMs: number[] = []
  let firstError: string | null = null
  let launched = 0
  let settled = 0
  let established = 0
  let failed = 0
  return new Promise((resolve) => {
    if (args.count === 0) return resolve({ established, failed, errors, firstError, ms: 0, connectMs: { p50: 0, p99: 0, max: 0 } })
    const launch = () => {
      if (launched < args.count) open(args.firstIndex + launched++)
    }
    const finish = () => {
      connectMs.sort((a, b) => a - b)
      const q = (p: number) => round(connectMs[Math.min(connectMs.length - 1, Math.floor(p * connectMs.length))] ?? 0)
      resolve({ established, failed, errors, firstError, ms: round(nowMs() - started), connectMs: { p50: q(0.5), p99: q(0.99), max: round(connectMs.at(-1) ?? 0) } })
    }
    /** One client's outcome: ready (subscribed) or failed; each client settles once. */
    const settler = (t0: number) => {
      let done = false
      const timer = setTimeout(() => fail('timeout'), args.timeoutMs)
      const fail = (reason: string) => {
        if (done) return
        done = true
        clearTimeout(timer)
        failed++
        errors[reason] = (errors[reason] ?? 0) + 1
        firstError ??= reason
        if (++settled === args.count) finish()
        else launch()
      }
      const ok = () => {
        if (done) return
        done = true
        clearTimeout(timer)
        established++
        connectMs.push(nowMs() - t0)
        if (++settled === args.count) finish()
        else launch()
      }
      return { ok, fail }
    }

    function open(index: number): void {
      const t0 = nowMs()
      const s = settler(t0)
      const interest = args.workload === 'mix' ? interestOf(index) : args.workload
      let ready = false
      const onClose = (code: string) => {
        if (ready) {
          closed++
          closes[code] = (closes[code] ?? 0) + 1
        } else s.fail(`closed ${code} before subscribed`)
      }
      if (args.protocol === 'sio') {
        const socket: Socket = io(args.url, { transports: ['websocket'], forceNew: true, reconnection: false, timeout: args.timeoutMs, localAddress: args.localAddress } as Parameters<typeof io>[1])
        socket.on('connect', () => {
          socket.emit('join', roomsOf(interest), () => {
            ready = true
            s.ok()
          })
        })
        socket.on('data', (message: { channel: string; data: Record<string, Stamped[]> }) => {
          const first = message.data[message.channel]?.[0]
          if (first) record(nowMs(), first.sentAt, first.k, first.m, 0)
        })
        socket.io.on('open', () => socket.io.engine.on('data', (d: string | Buffer) => void (bytes += d.length)))
        socket.on('connect_error', (err) => s.fail(err.message))
        socket.on('disconnect', (reason) => onClose(reason))
        return
      }
      const ws = new WebSocket(args.url, { localAddress: args.localAddress, perMessageDeflate: false, skipUTF8Validation: true })
      const subscriptions = args.protocol === 'ours' ? subscribeMessages(interest) : [JSON.stringify({ join: roomsOf(interest) })]
      let acks = 0
      ws.on('open', () => {
        if (args.protocol === 'raw') ws.send(subscriptions[0]!)
      })
      ws.on('message', (data: Buffer) => {
        if (data[9] === 0x64 /* {"type":"d… */) return recordFrame(data, nowMs())
        const message = JSON.parse(data.toString()) as { type: string; code?: string }
        if (message.type === 'connected') for (const text of subscriptions) ws.send(text)
        else if (message.type === 'subscribed' && ++acks === subscriptions.length) {
          ready = true
          s.ok()
        } else if (message.type === 'error') s.fail(`error reply ${message.code}`)
      })
      ws.on('unexpected-response', (_req, res) => {
        s.fail(`HTTP ${res.statusCode}`)
        res.resume()
        ws.terminate()
      })
      ws.on('error', (err: Error & { code?: string }) => s.fail(err.code ?? err.message))
      ws.on('close', (code) => onClose(String(code)))
    }

    for (let i = 0; i < Math.min(args.concurrency, args.count); i++) launch()
  })
}

function report({ windowStartMs, windowEndMs }: { windowStartMs: number; windowEndMs: number }): Report {
  let inWindow = 0
  let slots = 0
  for (const [slot, n] of receipts) {
    if (slot * 10 >= windowStartMs && (slot + 1) * 10 <= windowEndMs) inWindow += n
  }
  for (let slot = Math.ceil(windowStartMs / 10); (slot + 1) * 10 <= windowEndMs; slot++) slots++
  const sparse: [number, number][] = []
  hist.forEach((n, i) => n > 0 && sparse.push([i, n]))
  const cpu = process.cpuUsage(cpu0)
  return {
    hist: sparse,
    measured,
    maxLatencyMs: maxLatency,
    perK: [...kCount].map(([k, n]) => [k, n, kMax.get(k)!]),
    inWindow,
    coveredMs: slots * 10,
    received,
    bytes,
    closes,
    cpuMs: (cpu.user + cpu.system) / 1000,
    wallMs: nowMs() - wall0,
    rssBytes: process.memoryUsage.rss(),
  }
}

const round = (x: number) => Math.round(x * 10) / 10

serveRpc({
  connect: (args: ConnectArgs) => connect(args),
  reset: () => reset(),
  counts: () => ({ received, closed, frames }),
  report: (args: { windowStartMs: number; windowEndMs: number }) => report(args),
})
