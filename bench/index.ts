/**
 * `npm run bench`: core-meme-websocket against a raw `ws` ceiling and Socket.IO 4, each server in
 * its own process (bench/suite/servers/), the same load-generator processes (bench/suite/loadClients.ts)
 * and the same messages (bench/suite/workload.ts) for all three. The publish time travels in each
 * message, so clients measure publish → receipt latency; per message, the last receipt over every
 * client is the fan-out completion time. It builds dist/ first: our servers under test run the build,
 * as `npm start` does (bench/suite/built.ts says why).
 *
 *   npm run bench                     full run: (a) fan-out 1,000 and 10,000 clients, (b) the realistic
 *                                     workload at 10,000 clients (3 rounds, ours and raw alternating), (c) a
 *                                     10,000-connection storm and the RSS per idle connection; ~10–30 min,
 *                                     stops by itself
 *   npm run bench -- --quick          the same at 500 clients, two rates, 3 s windows (< 2 min; CI smoke test)
 *   npm run bench -- --scaleout       also (d): 30,000 connections on PM2 gateways + Redis (bench/connections.ts;
 *                                     BENCH_SCALEOUT_ARGS passes it arguments, e.g. "--connections 20000")
 *   npm run bench -- --startup        also (f): cold and warm start (bench/startup.ts)
 *   npm run bench -- --swap-latency   also: swap transaction → client on the devnet (bench/latency.ts)
 *   npm run bench -- --soak [minutes] only (e): the embedded devnet with 100 clients, RSS every minute (default 30)
 *   --servers ours,raw,sio   --only fanout1k,fanout10k,workload,storm   (a partial run)
 *   BENCH_SERVER_NODE_FLAGS="--cpu-prof"   node flags for the servers under test (profiling)
 *   BENCH_CLIENT_NODE_FLAGS="--cpu-prof"   node flags for the load-generator processes
 *
 * The machine is shared: before each measurement the run waits (10 min in all at most) for other
 * processes to use < 25 % of a core, repeats a measurement they disturbed (3 attempts, the least
 * disturbed counts) and marks what stayed disturbed with † and `disturbed: true`.
 *
 * Writes bench/results/latest.json and bench/results/<date>.json (--quick: bench/results/quick.json;
 * with --only or --servers: bench/results/partial.json and partial-<date>.json).
 * Every process it starts is its child and is stopped by it; all traffic stays on 127.0.0.0/8.
 */
import { execFileSync, spawn } from 'node:child_process'
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { parseArgs } from 'node:util'
import { killForked, track } from './suite/ipc.js'
import { printTables, ratioRows } from './suite/report.js'
import { runSoak } from './suite/soak.js'
import { BUSY_NEIGHBOUR_PERCENT, fmt, leastDisturbed, mb, openClients, runBlocks, SERVER_NAMES, setQuietBudget, type BlocksSummary, startServer, stepRates, stopFleet, waitQuiet, type Fleet, type ScenarioRecord, type ServerKind, type StepOptions } from './suite/scenarios.js'

const argv = process.argv.slice(2)
// `--soak` takes an optional number of minutes.
const soakAt = argv.indexOf('--soak')
let soakMinutes: number | null = null
if (soakAt >= 0) {
  const next = argv[soakAt + 1]
  soakMinutes = next !== undefined && /^\d+(\.\d+)?$/.test(next) ? Number(next) : 30
  argv.splice(soakAt, next !== undefined && /^\d+(\.\d+)?$/.test(next) ? 2 : 1)
}
const { values: args } = parseArgs({
  args: argv,
  options: {
    quick: { type: 'boolean', default: false },
    scaleout: { type: 'boolean', default: false },
    startup: { type: 'boolean', default: false },
    'swap-latency': { type: 'boolean', default: false },
    servers: { type: 'string', default: 'ours,raw,sio' },
    only: { type: 'string' },
  },
})
const quick = args.quick!
const servers = args.servers!.split(',').map((s) => s.trim()) as ServerKind[]
for (const s of servers) if (!(s in SERVER_NAMES)) throw new Error(`--servers: unknown server ${s} (ours, raw, sio)`)
const only = args.only ? new Set(args.only.split(',')) : null
const wanted = (name: string) => !only || only.has(name)

const startedAt = Date.now()
const elapsed = () => `${((Date.now() - startedAt) / 1000).toFixed(1)}s`
const log = (text: string) => console.log(`[${elapsed()}] ${text}`)

/** Sizes: the full run and the quick smoke run. */
const plan = quick
  ? {
      latencyClients: 500,
      latencyRates: [100, 200],
      throughputClients: 0,
      throughputRates: [] as number[],
      steps: { warmupMs: 500, windowMs: 3000, drainMs: 5000 },
      stormClients: 500,
      workloadClients: 500,
      workloadRounds: 1,
      blocks: { count: 4, warmup: 1 },
      hardLimitMs: 5 * 60_000,
    }
  : {
      latencyClients: 1000,
      latencyRates: [100, 200, 300, 400, 500, 600, 800, 1000, 1500, 2000, 3000, 5000],
      throughputClients: 10_000,
      throughputRates: [5, 10, 15, 20, 25, 30, 40, 50, 60, 80, 100, 150, 200],
      steps: { warmupMs: 1000, windowMs: 5000, drainMs: 15_000 },
      stormClients: 10_000,
      workloadClients: 10_000,
      // Its p99 is the slowest of 30 blocks, which one hiccup of the machine decides: ours and raw
      // alternate for three rounds, each in fresh processes, and the median round counts.
      workloadRounds: 3,
      blocks: { count: 33, warmup: 3 },
      hardLimitMs: 60 * 60_000,
    }
const maxRssBytes = 6 * 2 ** 30
// The quick run never waits for a busy machine (CI); the full run waits up to 10 min in all.
setQuietBudget(quick ? 0 : 10 * 60_000)
const P99_LIMIT_MS = 50

// Bounded whatever happens: the children are killed (by handle) and the run exits non-zero.
const hardStop = setTimeout(() => {
  log(`time limit (${plan.hardLimitMs / 60_000} min) reached: stopping`)
  void killForked().finally(() => process.exit(2))
}, soakMinutes !== null ? (soakMinutes + 10) * 60_000 : plan.hardLimitMs)
hardStop.unref()
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void killForked().finally(() => process.exit(130)))
}

const readOr = (path: string, fallback: string) => {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return fallback
  }
}

function machine() {
  const limits = readOr('/proc/self/limits', '')
  const git = (...a: string[]) => {
    try {
      return execFileSync('git', a, { encoding: 'utf8' }).trim()
    } catch {
      return null
    }
  }
  return {
    cpus: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? null,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    os: `${os.type()} ${os.release()}`,
    openFilesLimit: Number(/Max open files\s+(\d+)/.exec(limits)?.[1] ?? 0) || null,
    ephemeralPorts: readOr('/proc/sys/net/ipv4/ip_local_port_range', '').trim().replace(/\s+/, '-') || null,
    loadAverageAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
    commit: git('rev-parse', '--short', 'HEAD'),
    srcChanges: git('status', '--porcelain', '--', 'src')?.split('\n').filter(Boolean) ?? null,
    socketIo: JSON.parse(readFileSync(new URL('../node_modules/socket.io/package.json', import.meta.url), 'utf8')).version as string,
    ws: JSON.parse(readFileSync(new URL('../node_modules/ws/package.json', import.meta.url), 'utf8')).version as string,
  }
}

/** Runs a script of bench/ in a child (npx tsx), its output on ours; resolves with its exit code. */
function runScript(script: string, scriptArgs: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', new URL(script, import.meta.url).pathname, ...scriptArgs], { stdio: 'inherit' })
    track(child)
    child.on('exit', (code) => resolve(code ?? 1))
  })
}

const records: ScenarioRecord[] = []
const errors: { scenario: string; server: string; error: string }[] = []

/** One round of the realistic workload on a fresh fleet (its blocks repeated while other processes took CPU: `leastDisturbed`). */
async function workloadRound(fleet: Fleet, n: number): Promise<BlocksSummary> {
  const name = SERVER_NAMES[fleet.kind]
  const c = await openClients(fleet, n, 'mix', 250, 120_000)
  log(`  ${name}: ${c.established} clients subscribed in ${c.seconds} s${c.failed ? `, ${c.failed} failed (${c.firstError})` : ''}`)
  const w = await leastDisturbed(fleet, log, 'the blocks', () => runBlocks(fleet, { ...plan.blocks, intervalMs: 1000, maxRssBytes, drainMs: 30_000 }))
  log(
    `  ${name}: ${w.blocks} blocks (${w.tradesPerBlock.min}–${w.tradesPerBlock.max} trades, mean ${w.tradesPerBlock.mean}): completion p50 ${w.completionMs.p50} p99 ${w.completionMs.p99} max ${w.completionMs.max} ms; ` +
      `latency p50 ${w.latencyMs?.p50} p99 ${w.latencyMs?.p99} ms; server CPU ${w.serverCpuPercent} % (others ${w.otherCpuPercent} %), RSS ${mb(w.serverRssBytes)} MB; ${fmt(w.messagesPerBlock)} messages and ${fmt(w.bytesPerClientPerBlock)} bytes per client per block; ` +
      `${w.largest.blocks} blocks of ≥ ${w.largest.minTrades} trades: completion p50 ${w.largest.completionMs.p50 ?? '–'} max ${w.largest.completionMs.max ?? '–'} ms; server GC pauses ${w.gc.pauses} (${w.gc.totalMs} ms in all, longest ${w.gc.maxMs} ms); routing per block p50 ${w.routeMs.p50 ?? '–'} max ${w.routeMs.max ?? '–'} ms${w.slowClosed ? `; slow-closed ${w.slowClosed}` : ''}${Object.keys(w.closes).length ? `; closes ${JSON.stringify(w.closes)}` : ''}`,
  )
  return w
}

/** A server's workload record: its median round by completion p99 (the only one with one round), and every round's figures. */
function workloadRecord(n: number, kind: ServerKind, rounds: BlocksSummary[]): ScenarioRecord {
  const byP99 = [...rounds].sort((a, b) => (a.completionMs.p99 ?? Infinity) - (b.completionMs.p99 ?? Infinity))
  const w = byP99[Math.floor((byP99.length - 1) / 2)]!
  return {
    name: `workload-${n >= 1000 ? `${n / 1000}k` : n}`,
    server: SERVER_NAMES[kind],
    ...w,
    disturbed: w.otherCpuPercent > BUSY_NEIGHBOUR_PERCENT,
    connections: w.clients,
    // Trades published per second (a block per second).
    publishedPerSec: w.tradesPerBlock.mean,
    rssPerConnectionBytes: null,
    rounds: rounds.map((r) => ({ completionMs: r.completionMs, largest: r.largest.completionMs, serverCpuPercent: r.serverCpuPercent, gc: r.gc, otherCpuPercent: r.otherCpuPercent })),
  }
}

/** Runs one scenario against each server in turn, a fresh server process each time. */
async function eachServer(scenario: string, body: (kind: ServerKind) => Promise<void>): Promise<void> {
  for (const kind of servers) {
    try {
      await body(kind)
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err)
      log(`${scenario} on ${SERVER_NAMES[kind]} failed: ${error}`)
      errors.push({ scenario, server: SERVER_NAMES[kind], error })
    }
  }
}

async function withFleet<T>(kind: ServerKind, body: (fleet: Fleet) => Promise<T>): Promise<T> {
  const fleet = await startServer(kind)
  try {
    return await body(fleet)
  } finally {
    await stopFleet(fleet)
  }
}

function stepRecord(name: string, kind: ServerKind, steps: Awaited<ReturnType<typeof stepRates>>, extra: Record<string, unknown>): ScenarioRecord {
  const b = steps.best
  const last = steps.steps.at(-1)
  return {
    name,
    server: SERVER_NAMES[kind],
    connections: b?.clients ?? steps.steps[0]?.clients ?? 0,
    publishedPerSec: b?.publishedPerSec ?? null,
    deliveredPerSec: b?.deliveredPerSec ?? null,
    latencyMs: b?.latencyMs ?? null,
    completionMs: b ? { p50: b.completionMs.p50, p99: b.completionMs.p99 } : null,
    serverCpuPercent: b?.serverCpuPercent ?? null,
    serverRssBytes: b?.serverRssBytes ?? null,
    rssPerConnectionBytes: null,
    slowClosed: steps.steps.reduce((n, s) => n + s.slowClosed, 0),
    rate: b?.rate ?? null,
    bytesPerMessage: b?.bytesPerMessage ?? steps.steps[0]?.bytesPerMessage ?? null,
    clientCpuPercent: b?.clientCpuPercent ?? null,
    otherCpuPercent: b?.otherCpuPercent ?? null,
    // The reported step, or the step that ended the stepping, ran while other processes took CPU.
    disturbed: [b, last].some((s) => s && s.otherCpuPercent > BUSY_NEIGHBOUR_PERCENT),
    ...extra,
    steps: steps.steps,
  }
}

const stepOptions: StepOptions = { ...plan.steps, maxRssBytes }

/** The servers under test run the build, as `npm start` does: build it from the sources first. */
function build(): void {
  log('building dist/ (tsc -p tsconfig.build.json)…')
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' })
}

async function main(): Promise<void> {
  build()
  if (soakMinutes !== null) {
    await runSoak({ minutes: soakMinutes, clients: 100, log, machine: machine() })
    return
  }
  const info = machine()
  log(`machine: ${info.cpus} × ${info.cpu}, ${info.memoryGb} GB, Node ${info.node}, open files ${info.openFilesLimit}, load average ${info.loadAverageAtStart.join(' ')}`)
  if ((info.loadAverageAtStart[0] ?? 0) > 0.5) log('warning: the machine is busy (1-min load average > 0.5); figures will be noisy')
  log(`${quick ? 'QUICK run' : 'FULL run'}: servers ${servers.map((s) => SERVER_NAMES[s]).join(', ')}; commit ${info.commit}${info.srcChanges?.length ? ` + uncommitted src changes (${info.srcChanges.length} files)` : ''}`)

  // (a) 1,000 (quick: 500) clients on trades "*": the highest rate with p99 ≤ 50 ms.
  if (wanted('fanout1k')) {
    const name = quick ? 'fanout-500-quick' : 'fanout-1k'
    log(`(a) fan-out, ${plan.latencyClients} clients, rates ${plan.latencyRates.join(', ')} msg/s (${plan.steps.warmupMs / 1000} s warm-up + ${plan.steps.windowMs / 1000} s window each) until p99 > ${P99_LIMIT_MS} ms`)
    await eachServer(name, (kind) =>
      withFleet(kind, async (fleet) => {
        const c = await openClients(fleet, plan.latencyClients, 'firehose', 250)
        log(`  ${SERVER_NAMES[kind]}: ${c.established} clients subscribed in ${c.seconds} s${c.failed ? `, ${c.failed} failed (${c.firstError})` : ''}`)
        const steps = await stepRates(fleet, plan.latencyRates, 'latency', { ...stepOptions, p99LimitMs: P99_LIMIT_MS }, log)
        records.push(stepRecord(name, kind, steps, { criterion: `highest rate with latency p99 ≤ ${P99_LIMIT_MS} ms` }))
      }),
    )
  }

  // (c) connection storm, then the RSS of the idle connections, then (a) at 10,000 clients on them.
  if (wanted('storm') || wanted('fanout10k')) {
    const n = plan.stormClients
    log(`(c) connection storm: ${n} clients connect at once (every handshake in flight) and subscribe; then RSS per idle connection${plan.throughputClients ? `; then (a) fan-out at ${n} clients, rates ${plan.throughputRates.join(', ')} msg/s until delivery falls behind` : ''}`)
    await eachServer(`connect-storm-${n}`, (kind) =>
      withFleet(kind, async (fleet) => {
        await waitQuiet(fleet, log)
        const empty = await fleet.server.call<{ rssBytes: number }>('stats', { gc: true })
        const c = await openClients(fleet, n, 'firehose', n, 120_000)
        log(`  ${SERVER_NAMES[kind]}: ${c.established} of ${n} connected and subscribed in ${c.seconds} s (${fmt(c.established / c.seconds)}/s), ${c.failed} failed${c.failed ? ` ${JSON.stringify(c.errors)}` : ''}; per connection p50 ${c.connectMs.p50} ms, p99 ${c.connectMs.p99} ms`)
        records.push({
          name: `connect-storm-${n >= 1000 ? `${n / 1000}k` : n}`,
          server: SERVER_NAMES[kind],
          connections: c.established,
          publishedPerSec: null,
          deliveredPerSec: null,
          latencyMs: null,
          serverCpuPercent: null,
          serverRssBytes: null,
          rssPerConnectionBytes: null,
          slowClosed: 0,
          seconds: c.seconds,
          connectsPerSec: Math.round(c.established / c.seconds),
          failed: c.failed,
          errors: c.errors,
          connectMs: c.connectMs,
        })
        await new Promise((r) => setTimeout(r, 2000))
        const idle = await fleet.server.call<{ rssBytes: number; connections: number }>('stats', { gc: true })
        const perConnection = Math.round((idle.rssBytes - empty.rssBytes) / Math.max(1, idle.connections))
        log(`  ${SERVER_NAMES[kind]}: RSS ${mb(empty.rssBytes)} MB with no connection, ${mb(idle.rssBytes)} MB with ${idle.connections} idle ones: ${fmt(perConnection)} bytes per connection`)
        records.push({
          name: `idle-rss-${n >= 1000 ? `${n / 1000}k` : n}`,
          server: SERVER_NAMES[kind],
          connections: idle.connections,
          publishedPerSec: null,
          deliveredPerSec: null,
          latencyMs: null,
          serverCpuPercent: null,
          serverRssBytes: idle.rssBytes,
          rssPerConnectionBytes: perConnection,
          slowClosed: 0,
          emptyRssBytes: empty.rssBytes,
        })
        if (plan.throughputClients && wanted('fanout10k')) {
          const steps = await stepRates(fleet, plan.throughputRates, 'throughput', { ...stepOptions, p99LimitMs: Infinity }, log)
          records.push(stepRecord('fanout-10k', kind, steps, { criterion: 'highest rate with delivered ≥ 95 % of published × clients in the window' }))
        }
      }),
    )
  }

  // (b) the realistic workload.
  if (wanted('workload')) {
    const n = plan.workloadClients
    log(
      `(b) workload: ${n} clients (75 % 1–3 hot tokens' prices + trades, 3 % "*", 10 % alerts, 12 % 3 wallets' trades); a block every second: ${plan.blocks.count} blocks of 50–500 trades + their price updates + 0–3 alerts (first ${plan.blocks.warmup} unmeasured)` +
        (plan.workloadRounds > 1 ? `; ${plan.workloadRounds} rounds alternating the servers (Socket.IO: one), the median round by completion p99 counts` : ''),
    )
    const rounds = new Map<ServerKind, BlocksSummary[]>()
    for (let round = 1; round <= plan.workloadRounds; round++) {
      await eachServer(`workload-${n}`, async (kind) => {
        if (kind === 'sio' && round > 1) return // minutes per round, and far from the others
        const w = await withFleet(kind, (fleet) => workloadRound(fleet, n))
        if (rounds.has(kind)) rounds.get(kind)!.push(w)
        else rounds.set(kind, [w])
      })
    }
    for (const [kind, list] of rounds) records.push(workloadRecord(n, kind, list))
  }

  if (args.scaleout) {
    log('(d) 30,000 connections on 2 PM2 gateways + Redis: bench/connections.ts')
    const launched = Date.now()
    const code = await runScript('./connections.ts', process.env.BENCH_SCALEOUT_ARGS?.split(' ').filter(Boolean) ?? [])
    try {
      const file = new URL('./results/connections.json', import.meta.url)
      if (code !== 0 || statSync(file).mtimeMs < launched) throw new Error('bench/connections.ts did not complete (no new bench/results/connections.json)')
      const r = JSON.parse(readFileSync(file, 'utf8')) as { summary: Record<string, number>; gatewaysConnected: { rssMb: number }[] }
      const s = r.summary
      records.push({
        name: `connections-${Math.round(s['requested']! / 1000)}k-pm2-redis`,
        server: 'core-meme-websocket',
        connections: s['established']!,
        publishedPerSec: null,
        deliveredPerSec: s['deliverSeconds'] ? Math.round(s['deliveriesReceived']! / s['deliverSeconds']) : null,
        latencyMs: null,
        serverCpuPercent: null,
        serverRssBytes: r.gatewaysConnected.reduce((n, g) => n + g.rssMb * 2 ** 20, 0),
        rssPerConnectionBytes: null,
        slowClosed: 0,
        summary: s,
      })
    } catch (err) {
      errors.push({ scenario: 'connections-30k-pm2-redis', server: 'core-meme-websocket', error: `exit ${code}: ${String(err)}` })
    }
  }
  if (args.startup) {
    log('(f) cold and warm start: bench/startup.ts')
    const code = await runScript('./startup.ts', [])
    if (code !== 0) errors.push({ scenario: 'startup', server: 'core-meme-websocket', error: `exit ${code}` })
  }
  if (args['swap-latency']) {
    log('swap → client latency on the devnet: bench/latency.ts')
    const { benchSwapLatency } = await import('./latency.js')
    console.table([await benchSwapLatency(200)])
  }

  const durationS = Math.round((Date.now() - startedAt) / 1000)
  printTables(records, servers)
  const out = { machine: { ...info, loadAverageAtEnd: os.loadavg().map((x) => Math.round(x * 100) / 100), date: new Date(startedAt).toISOString(), durationSeconds: durationS, command: `npm run bench${argv.length ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`, mode: quick ? 'quick' : 'full' }, scenarios: records, ratios: ratioRows(records), errors }
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true })
  // latest.json (committed) only from a complete full run; a partial one (--only, --servers) goes to partial.json.
  const dated = `${new Date(startedAt).toISOString().replace(/:/g, '-').replace(/\.\d+Z$/, 'Z')}.json`
  const files = quick ? ['quick.json'] : only || servers.length < 3 ? ['partial.json', `partial-${dated}`] : ['latest.json', dated]
  for (const f of files) writeFileSync(new URL(`./results/${f}`, import.meta.url), `${JSON.stringify(out, null, 2)}\n`)
  log(`wrote ${files.map((f) => `bench/results/${f}`).join(' and ')} (${durationS} s)`)
  if (errors.length > 0) {
    log(`${errors.length} scenario run(s) failed: ${errors.map((e) => `${e.scenario}/${e.server}`).join(', ')}`)
    process.exitCode = 1
  }
}

try {
  await main()
} catch (err) {
  console.error(err)
  process.exitCode = 1
} finally {
  await killForked()
  clearTimeout(hardStop)
}
process.exit()
