/**
 * The scenarios of `npm run bench`, each run against one server under test at a time (a fresh
 * server process per scenario) with the same load generators and the same messages.
 */
import { readdirSync, readFileSync } from 'node:fs'
import os from 'node:os'
import type { ConnectArgs, ConnectResult, Protocol, Report } from './loadClients.js'
import { forkRpc, nodeFlags, nowMs, type Rpc } from './ipc.js'
import type { BlocksResult, RunResult, Stats } from './serverKit.js'
import { mergeHistograms, ms, percentiles, quantileMs, type Percentiles } from './stats.js'
import type { Workload } from './workload.js'

/** Jiffies (USER_HZ) of the whole machine, and of the given processes (utime + stime), now. */
function cpuTicks(pids: number[]): { busy: number; total: number; ours: number } {
  let stat: string
  try {
    stat = readFileSync('/proc/stat', 'utf8')
  } catch {
    return { busy: 0, total: 0, ours: 0 } // not Linux: not measured
  }
  // user nice system idle iowait irq softirq steal: interrupt time is the network's (ours, on loopback), not a neighbour's.
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = stat.split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number)
  const total = user + nice + system + idle + iowait + irq + softirq + steal
  let ours = 0
  for (const pid of [...pids, ...softirqThreads()]) {
    try {
      const procStat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      const rest = procStat.slice(procStat.lastIndexOf(')') + 2).split(' ')
      ours += Number(rest[11]) + Number(rest[12])
    } catch {
      // the process is gone
    }
  }
  return { busy: user + nice + system + steal, total, ours }
}

let ksoftirqd: number[] | null = null
/** The kernel threads that run deferred network work (loopback traffic under load): counted as the bench's. */
function softirqThreads(): number[] {
  if (ksoftirqd) return ksoftirqd
  ksoftirqd = []
  try {
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue
      try {
        if (readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('ksoftirqd')) ksoftirqd.push(Number(pid))
      } catch {
        // gone
      }
    }
  } catch {
    // no /proc
  }
  return ksoftirqd
}

/**
 * Measures how much CPU processes other than the bench's (server, generators, this one) used
 * meanwhile, in % of one core: the machine is shared, and a busy neighbour skews a step.
 */
export function otherCpu(fleet: Fleet): () => number {
  const pids = [process.pid, fleet.server.child.pid!, ...fleet.gens.map((g) => g.child.pid!)]
  const a = cpuTicks(pids)
  return () => {
    const b = cpuTicks(pids)
    const total = b.total - a.total
    if (total <= 0) return 0
    return Math.max(0, Math.round((((b.busy - a.busy - (b.ours - a.ours)) / total) * os.cpus().length * 100) * 10) / 10)
  }
}

export type ServerKind = Protocol
export const SERVER_NAMES: Record<ServerKind, string> = { ours: 'core-meme-websocket', raw: 'raw-ws', sio: 'socket.io' }
const SERVER_MODULES: Record<ServerKind, string> = { ours: 'servers/ours.ts', raw: 'servers/rawWs.ts', sio: 'servers/socketIo.ts' }
const here = (path: string) => new URL(path, import.meta.url).pathname

/** One entry of bench/results/*.json. */
export type ScenarioRecord = {
  name: string
  server: string
  connections: number
  publishedPerSec: number | null
  deliveredPerSec: number | null
  latencyMs: Percentiles | null
  completionMs?: { p50: number | null; p99: number | null } | null
  serverCpuPercent: number | null
  serverRssBytes: number | null
  rssPerConnectionBytes: number | null
  slowClosed: number
  [detail: string]: unknown
}

export type Log = (text: string) => void

/** Client processes and their share: < 15,000 sockets each (a process holds < 20,000 files), at least 2 (both cores). */
function shares(total: number): number[] {
  const processes = Math.max(2, Math.ceil(total / 5000))
  return Array.from({ length: processes }, (_, i) => Math.floor(total / processes) + (i < total % processes ? 1 : 0))
}

/**
 * A distinct loopback source address for every generator of the run, so that each has its own
 * ephemeral ports (Linux routes all of 127.0.0.0/8 to loopback; elsewhere only 127.0.0.1).
 */
let addressCounter = 0
function nextLocalAddress(): string {
  if (process.platform !== 'linux') return '127.0.0.1'
  const n = addressCounter++
  return `127.1.${Math.floor(n / 250)}.${(n % 250) + 1}`
}

export type Fleet = { kind: ServerKind; server: Rpc; url: string; gens: Rpc[]; clients: number }

export async function startServer(kind: ServerKind): Promise<Fleet> {
  const server = forkRpc(here(SERVER_MODULES[kind]), [], ['--expose-gc', ...nodeFlags('BENCH_SERVER_NODE_FLAGS')])
  const port = await server.call<number>('start', null, 30_000)
  return { kind, server, url: `ws://127.0.0.1:${port}`, gens: [], clients: 0 }
}

export async function stopFleet(fleet: Fleet): Promise<void> {
  await Promise.all(fleet.gens.map((g) => g.stop()))
  await fleet.server.stop()
}

export type ConnectSummary = { established: number; failed: number; errors: Record<string, number>; firstError: string | null; seconds: number; connectMs: { p50: number; p99: number; max: number } }

/** Opens `total` clients from fresh generator processes; resolves once every one is subscribed or failed. */
export async function openClients(fleet: Fleet, total: number, workload: Workload, concurrencyPerProcess: number, timeoutMs = 60_000): Promise<ConnectSummary> {
  const parts = shares(total)
  const gens = parts.map(() => forkRpc(here('loadClients.ts'), [], nodeFlags('BENCH_CLIENT_NODE_FLAGS')))
  fleet.gens.push(...gens)
  // Generators load (tsx) before the clock starts.
  await Promise.all(gens.map((g) => g.call('reset', null, 30_000)))
  const started = nowMs()
  let first = 0
  const results = await Promise.all(
    gens.map((g, i) => {
      const args: ConnectArgs = { protocol: fleet.kind, url: fleet.url, count: parts[i]!, firstIndex: first, localAddress: nextLocalAddress(), concurrency: concurrencyPerProcess, workload, timeoutMs }
      first += parts[i]!
      return g.call<ConnectResult>('connect', args, timeoutMs + 60_000)
    }),
  )
  const seconds = (nowMs() - started) / 1000
  const errors: Record<string, number> = {}
  for (const r of results) for (const [e, n] of Object.entries(r.errors)) errors[e] = (errors[e] ?? 0) + n
  const established = results.reduce((n, r) => n + r.established, 0)
  fleet.clients += established
  return {
    established,
    failed: results.reduce((n, r) => n + r.failed, 0),
    errors,
    firstError: results.map((r) => r.firstError).find(Boolean) ?? null,
    seconds: Math.round(seconds * 100) / 100,
    connectMs: { p50: Math.max(...results.map((r) => r.connectMs.p50)), p99: Math.max(...results.map((r) => r.connectMs.p99)), max: Math.max(...results.map((r) => r.connectMs.max)) },
  }
}

type Counts = { received: number; closed: number; frames: number }
async function counts(fleet: Fleet): Promise<Counts> {
  const all = await Promise.all(fleet.gens.map((g) => g.call<Counts>('counts')))
  return { received: all.reduce((n, c) => n + c.received, 0), closed: all.reduce((n, c) => n + c.closed, 0), frames: all.reduce((n, c) => n + c.frames, 0) }
}

/** Waits until the clients received `expected` messages, or nothing arrived for `quietMs`, or `timeoutMs`. */
async function waitDelivered(fleet: Fleet, expected: number, quietMs: number, timeoutMs: number): Promise<boolean> {
  const until = nowMs() + timeoutMs
  let last = -1
  let lastChange = nowMs()
  for (;;) {
    const { received } = await counts(fleet)
    if (received >= expected) return true
    if (received !== last) {
      last = received
      lastChange = nowMs()
    } else if (nowMs() - lastChange > quietMs) return false
    if (nowMs() > until) return false
    await new Promise((r) => setTimeout(r, 100))
  }
}

export type StepResult = {
  rate: number
  clients: number
  publishedPerSec: number
  deliveredPerSec: number
  /** delivered / (published × clients) in the window. */
  deliveryRatio: number
  latencyMs: Percentiles | null
  completionMs: { p50: number | null; p99: number | null; incomplete: number }
  serverCpuPercent: number
  serverRssBytes: number
  clientCpuPercent: number
  bytesPerMessage: number
  slowClosed: number
  closes: Record<string, number>
  drained: boolean
  aborted: string | null
  /** CPU used by processes other than the bench's during the step, % of one core. */
  otherCpuPercent: number
  attempts: number
}

export type StepOptions = { warmupMs: number; windowMs: number; drainMs: number; maxRssBytes: number }

/** One rate of the fan-out: publish for warm-up + window, wait for delivery, combine every generator's measurement. */
export async function fanoutStep(fleet: Fleet, rate: number, o: StepOptions): Promise<StepResult> {
  await Promise.all(fleet.gens.map((g) => g.call('reset')))
  const before = await fleet.server.call<Stats>('stats')
  const clients = before.connections
  const others = otherCpu(fleet)
  const run = await fleet.server.call<RunResult>('run', { rate, warmupMs: o.warmupMs, windowMs: o.windowMs, maxRssBytes: o.maxRssBytes }, o.warmupMs + o.windowMs + 60_000)
  const otherCpuPercent = others()
  const drained = await waitDelivered(fleet, run.published * clients, 2000, o.drainMs)
  const reports = await Promise.all(fleet.gens.map((g) => g.call<Report>('report', { windowStartMs: run.windowStartMs, windowEndMs: run.windowEndMs })))
  const after = await fleet.server.call<Stats>('stats')
  const windowS = (run.windowEndMs - run.windowStartMs) / 1000
  const coveredS = (reports[0]?.coveredMs ?? 0) / 1000
  const publishedPerSec = run.publishedInWindow / windowS
  const deliveredPerSec = coveredS > 0 ? reports.reduce((n, r) => n + r.inWindow, 0) / coveredS : 0
  // Completion: for each measured message, the last client's receipt; complete when every client has it.
  const firstMeasured = run.firstK + run.published - run.publishedInWindow
  const lastK = run.firstK + run.published - 1
  const perK = new Map<number, [number, number]>()
  for (const r of reports) {
    for (const [k, n, max] of r.perK) {
      if (k < firstMeasured || k > lastK) continue
      const acc = perK.get(k)
      if (acc) {
        acc[0] += n
        acc[1] = Math.max(acc[1], max)
      } else perK.set(k, [n, max])
    }
  }
  const completions: number[] = []
  let incomplete = 0
  for (let k = firstMeasured; k <= lastK; k++) {
    const acc = perK.get(k)
    if (acc && acc[0] >= clients) completions.push(acc[1])
    else incomplete++
  }
  completions.sort((a, b) => a - b)
  // Incomplete messages count as slower than every complete one.
  const all = [...completions, ...Array<number>(incomplete).fill(Infinity)]
  const closes: Record<string, number> = {}
  for (const r of reports) for (const [code, n] of Object.entries(r.closes)) closes[code] = (closes[code] ?? 0) + n
  const received = reports.reduce((n, r) => n + r.received, 0)
  return {
    rate,
    clients,
    publishedPerSec: Math.round(publishedPerSec),
    deliveredPerSec: Math.round(deliveredPerSec),
    deliveryRatio: Math.round((deliveredPerSec / Math.max(1, publishedPerSec * clients)) * 1000) / 1000,
    latencyMs: percentiles(mergeHistograms(reports.map((r) => r.hist)), Math.max(0, ...reports.map((r) => r.maxLatencyMs))),
    completionMs: { p50: quantileMs(all, 0.5), p99: quantileMs(all, 0.99), incomplete },
    serverCpuPercent: Math.round((run.cpuMsInWindow / (windowS * 1000)) * 1000) / 10,
    serverRssBytes: run.rssMaxBytes,
    clientCpuPercent: Math.round((reports.reduce((n, r) => n + r.cpuMs / r.wallMs, 0)) * 1000) / 10,
    bytesPerMessage: received > 0 ? Math.round(reports.reduce((n, r) => n + r.bytes, 0) / received) : 0,
    slowClosed: after.slowClosed - before.slowClosed,
    closes,
    drained,
    aborted: run.aborted,
    otherCpuPercent,
    attempts: 1,
  }
}

/** CPU that other processes may take during a step (% of one core) before the step is repeated. */
export const BUSY_NEIGHBOUR_PERCENT = 25
/** How long the whole run may spend waiting for other processes to quiet down (0: never wait nor repeat: the quick run). */
let quietBudgetMs = 10 * 60_000
export function setQuietBudget(ms: number): void {
  quietBudgetMs = ms
}
/** Whether a disturbed measurement should be repeated. */
export const patient = () => quietBudgetMs > 0

/** Waits (up to `maxMs`, within the run's budget) until other processes use < BUSY_NEIGHBOUR_PERCENT of a core for 2 s. */
export async function waitQuiet(fleet: Fleet, log: Log, maxMs = 30_000): Promise<void> {
  const started = nowMs()
  let said = false
  while (quietBudgetMs > 0 && nowMs() - started < maxMs) {
    const measure = otherCpu(fleet)
    await new Promise((r) => setTimeout(r, 2000))
    const busy = measure()
    if (busy < BUSY_NEIGHBOUR_PERCENT) break
    quietBudgetMs -= 2000
    if (!said) log(`  (other processes use ${busy} % of a core: waiting up to ${Math.round(Math.min(maxMs, quietBudgetMs) / 1000)} s for them to quiet down)`)
    said = true
  }
}

export type Stepping = 'latency' | 'throughput'

/**
 * Steps the publish rate up. `latency`: until p99 > `p99LimitMs` (the answer is the highest rate
 * within it); `throughput`: until delivery falls behind (delivered < 95 % of published × clients in
 * the window, or the server could not publish 95 % of the rate); both stop at the first close, an
 * undrained backlog or the RSS guard.
 */
export async function stepRates(fleet: Fleet, rates: number[], mode: Stepping, o: StepOptions & { p99LimitMs: number }, log: Log): Promise<{ steps: StepResult[]; best: StepResult | null }> {
  const steps: StepResult[] = []
  let best: StepResult | null = null
  for (const rate of rates) {
    let step = await quietStep(fleet, rate, o, log)
    // One stall of a loaded 2-core machine (the publisher more than a second late, a p99 over the
    // line) ends a climb for any server: a failing step is measured once more before it stops it.
    if (!stepHeld(step, rate, mode, o.p99LimitMs) && patient()) {
      logStep(log, fleet, rate, step, '→ measuring it once more')
      const again = await quietStep(fleet, rate, o, log)
      again.attempts += step.attempts
      step = again
    }
    steps.push(step)
    const ok = stepHeld(step, rate, mode, o.p99LimitMs)
    logStep(log, fleet, rate, step, ok ? '' : '→ stop')
    if (!ok) break
    best = step
  }
  return { steps, best }
}

/** A step, repeated while other processes took CPU during it (see `leastDisturbed`); `attempts` counts the runs. */
async function quietStep(fleet: Fleet, rate: number, o: StepOptions, log: Log): Promise<StepResult> {
  let attempts = 0
  const step = await leastDisturbed(fleet, log, `${rate} msg/s`, () => (attempts++, fanoutStep(fleet, rate, o)))
  return { ...step, attempts }
}

/**
 * The machine is shared: waits for it to be quiet, measures, and measures again (twice at most)
 * while other processes took CPU during the measurement; the least disturbed run counts.
 */
export async function leastDisturbed<T extends { otherCpuPercent: number }>(fleet: Fleet, log: Log, what: string, measure: () => Promise<T>): Promise<T> {
  await waitQuiet(fleet, log)
  let best = await measure()
  for (let attempt = 2; attempt <= 3 && patient() && best.otherCpuPercent > BUSY_NEIGHBOUR_PERCENT; attempt++) {
    log(`  (other processes used ${best.otherCpuPercent} % of a core during ${what}: repeating it)`)
    await waitQuiet(fleet, log, 60_000)
    const again = await measure()
    if (again.otherCpuPercent < best.otherCpuPercent) best = again
  }
  return best
}

/** The step held: (nearly) everything published on schedule and delivered, nobody closed, and in latency mode p99 within the limit. */
function stepHeld(step: StepResult, rate: number, mode: Stepping, p99LimitMs: number): boolean {
  const kept = step.deliveryRatio >= 0.95 && step.publishedPerSec >= 0.95 * rate && step.drained && step.slowClosed === 0 && Object.keys(step.closes).length === 0 && !step.aborted
  return kept && (mode === 'throughput' || (step.latencyMs?.p99 ?? Infinity) <= p99LimitMs)
}

function logStep(log: Log, fleet: Fleet, rate: number, step: StepResult, verdict: string): void {
  log(
    `  ${SERVER_NAMES[fleet.kind]} ${fleet.clients} clients, ${rate} msg/s: published ${step.publishedPerSec}/s, delivered ${fmt(step.deliveredPerSec)}/s (${Math.round(step.deliveryRatio * 100)} %), ` +
      `latency p50 ${step.latencyMs?.p50 ?? '–'} p99 ${step.latencyMs?.p99 ?? '–'} max ${step.latencyMs?.max ?? '–'} ms, completion p50 ${step.completionMs.p50 ?? '–'} p99 ${step.completionMs.p99 ?? '–'} ms, ` +
      `server CPU ${step.serverCpuPercent} %, clients CPU ${step.clientCpuPercent} %, others ${step.otherCpuPercent} %, RSS ${mb(step.serverRssBytes)} MB${step.slowClosed ? `, slow-closed ${step.slowClosed}` : ''}${Object.keys(step.closes).length ? `, closes ${JSON.stringify(step.closes)}` : ''}${step.drained ? '' : ', NOT drained'}${step.aborted ? `, ${step.aborted}` : ''}${verdict ? ` ${verdict}` : ''}`,
  )
}

export type BlocksSummary = {
  clients: number
  blocks: number
  tradesPerBlock: { min: number; max: number; mean: number }
  completionMs: { p50: number | null; p99: number | null; max: number | null }
  latencyMs: Percentiles | null
  deliveredPerSec: number
  bytesPerClientPerBlock: number
  messagesPerBlock: number
  serverCpuPercent: number
  serverRssBytes: number
  clientCpuPercent: number
  slowClosed: number
  closes: Record<string, number>
  aborted: string | null
  otherCpuPercent: number
  /** The server's GC pauses in the window. */
  gc: { pauses: number; totalMs: number; maxMs: number }
  /** Blocks of at least `minTrades` trades (the issue's "500-trade block"): their completion. */
  largest: { minTrades: number; blocks: number; completionMs: { p50: number | null; max: number | null } }
  /** The server's routing of a block (publish → every message queued for every client, before any write), measured in the server. */
  routeMs: { p50: number | null; max: number | null }
  /** Every measured block: [trades, completion ms, ms of server GC pauses during its fan-out, routing ms]. */
  perBlock: [number, number, number, number][]
}

/** Blocks with at least this many trades count as the largest (the generator makes 50–500). */
export const LARGE_BLOCK_TRADES = 400

/** Milliseconds of the pauses that overlap [from, to]. */
function pausedMs(pauses: readonly [number, number][], from: number, to: number): number {
  let total = 0
  for (const [at, duration] of pauses) total += Math.max(0, Math.min(to, at + duration) - Math.max(from, at))
  return total
}

/** The realistic workload: blocks every `intervalMs`; per block, publish → last receipt by any client. */
export async function runBlocks(fleet: Fleet, o: { count: number; warmup: number; intervalMs: number; maxRssBytes: number; drainMs: number }): Promise<BlocksSummary> {
  await Promise.all(fleet.gens.map((g) => g.call('reset')))
  const before = await fleet.server.call<Stats>('stats')
  const others = otherCpu(fleet)
  const res = await fleet.server.call<BlocksResult>('blocks', { count: o.count, intervalMs: o.intervalMs, warmup: o.warmup, seed: 42, maxRssBytes: o.maxRssBytes }, o.count * o.intervalMs + 60_000)
  const otherCpuPercent = others()
  await waitDelivered(fleet, Infinity, 1000, o.drainMs)
  const reports = await Promise.all(fleet.gens.map((g) => g.call<Report>('report', { windowStartMs: res.windowStartMs, windowEndMs: res.windowEndMs })))
  const after = await fleet.server.call<Stats>('stats')
  const measured = res.blocks.filter((b) => b.measured)
  const maxByK = new Map<number, number>()
  for (const r of reports) for (const [k, , max] of r.perK) maxByK.set(k, Math.max(maxByK.get(k) ?? -Infinity, max))
  const completions = measured.map((b) => maxByK.get(b.k)).filter((x): x is number => x !== undefined).sort((a, b) => a - b)
  const perBlock = measured.flatMap((b): [number, number, number, number][] => {
    const done = maxByK.get(b.k)
    return done === undefined ? [] : [[b.trades, ms(done), ms(pausedMs(res.gcPauses, b.sentAt, b.sentAt + done)), ms(b.routeMs)]]
  })
  const routes = measured.map((b) => b.routeMs).sort((a, b) => a - b)
  const large = perBlock.filter(([trades]) => trades >= LARGE_BLOCK_TRADES).map(([, done]) => done).sort((a, b) => a - b)
  const windowS = (res.windowEndMs - res.windowStartMs) / 1000
  const coveredS = (reports[0]?.coveredMs ?? 0) / 1000
  const received = reports.reduce((n, r) => n + r.received, 0)
  const bytes = reports.reduce((n, r) => n + r.bytes, 0)
  const closes: Record<string, number> = {}
  for (const r of reports) for (const [code, n] of Object.entries(r.closes)) closes[code] = (closes[code] ?? 0) + n
  const trades = res.blocks.map((b) => b.trades)
  return {
    clients: before.connections,
    blocks: measured.length,
    tradesPerBlock: { min: Math.min(...trades), max: Math.max(...trades), mean: Math.round(trades.reduce((a, b) => a + b, 0) / trades.length) },
    completionMs: { p50: quantileMs(completions, 0.5), p99: quantileMs(completions, 0.99), max: quantileMs(completions, 1) },
    latencyMs: percentiles(mergeHistograms(reports.map((r) => r.hist)), Math.max(0, ...reports.map((r) => r.maxLatencyMs))),
    deliveredPerSec: coveredS > 0 ? Math.round(reports.reduce((n, r) => n + r.inWindow, 0) / coveredS) : 0,
    bytesPerClientPerBlock: Math.round(bytes / res.blocks.length / Math.max(1, before.connections)),
    messagesPerBlock: Math.round(received / res.blocks.length),
    serverCpuPercent: Math.round((res.cpuMsInWindow / (windowS * 1000)) * 1000) / 10,
    serverRssBytes: res.rssMaxBytes,
    clientCpuPercent: Math.round(reports.reduce((n, r) => n + r.cpuMs / r.wallMs, 0) * 1000) / 10,
    slowClosed: after.slowClosed - before.slowClosed,
    closes,
    aborted: res.aborted,
    otherCpuPercent,
    gc: { pauses: res.gcPauses.length, totalMs: ms(res.gcPauses.reduce((n, [, d]) => n + d, 0)), maxMs: ms(Math.max(0, ...res.gcPauses.map(([, d]) => d))) },
    largest: { minTrades: LARGE_BLOCK_TRADES, blocks: large.length, completionMs: { p50: quantileMs(large, 0.5), max: quantileMs(large, 1) } },
    routeMs: { p50: quantileMs(routes, 0.5), max: quantileMs(routes, 1) },
    perBlock,
  }
}

export const fmt = (n: number | null | undefined) => (n === null || n === undefined ? '–' : Math.round(n).toLocaleString('en-US'))
export const mb = (bytes: number | null | undefined) => (bytes === null || bytes === undefined ? '–' : Math.round(bytes / 2 ** 20))
