/**
 * Connections on one port with PM2 cluster mode: more WebSocket clients than one process can hold
 * (~20,000 open files each), on ONE port.
 *
 *   npx tsx bench/connections.ts [--connections 30000] [--gateways 2] [--messages 5] [--per-child 10000] [--concurrency 150] [--no-build]
 *
 * Builds (`npm run build`), starts ecosystem.config.cjs with a private PM2_HOME (GATEWAYS gateways
 * in cluster mode on one WS_PORT, the indexer with CORE_NETWORK=none, MAX_CONNECTIONS 18000 per
 * gateway, MAX_CONNECTIONS_PER_IP raised) on the Redis at REDIS_URL (default 127.0.0.1:6379) under
 * a prefix of its own; opens the connections from child processes (bench/connectionsClients.ts,
 * each < 15,000 sockets, each from its own loopback source address 127.0.0.2, .3, …), subscribes
 * every one to trades "*", publishes `--messages` trades on the Redis bus (the server's own commit
 * path) and counts the deliveries. Prints a table, writes bench/results/connections.json, and stops
 * everything it started (children by handle, PM2 with `pm2 kill` on its own PM2_HOME). It stops by
 * itself within ~3 minutes; all traffic stays on 127.0.0.0/8. Not part of `npm test`.
 */
import { execFile, fork, type ChildProcess } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { parseArgs } from 'node:util'
import { pino } from 'pino'
import { dataPublication, encodeItems } from '../src/bus/publication.js'
import { createRedisBus } from '../src/bus/redisBus.js'
import { freePort } from '../src/devnet/anvil.js'
import { createRedisConnection, type RedisConnection } from '../src/redis/connection.js'
import { trade } from '../test/support/fixtures.js'
import { waitFor } from '../test/support/waitFor.js'
import { createPm2Home, repoRoot, waitForGateways, type Pm2Home, type Pm2Process } from '../test/scaleout/pm2Home.js'

const HARD_LIMIT_MS = 170_000
const startedAt = Date.now()
const { values: args } = parseArgs({
  options: {
    connections: { type: 'string', default: '30000' },
    gateways: { type: 'string', default: '2' },
    messages: { type: 'string', default: '5' },
    'per-child': { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '150' },
    'no-build': { type: 'boolean', default: false },
  },
})
const requested = Number(args.connections)
const gatewayCount = Number(args.gateways)
const messages = Number(args.messages)
const perChild = Math.min(Number(args['per-child']), 14_999)
const concurrency = Number(args.concurrency)
if (![requested, gatewayCount, messages, perChild, concurrency].every((n) => Number.isInteger(n) && n > 0)) throw new Error('--connections, --gateways, --messages, --per-child and --concurrency must be positive integers')

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const prefix = `bench:connections:${process.pid}:`
const [portLow = 32768, portHigh = 60999] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number)
const ephemeralPorts = portHigh - portLow + 1
const childCount = Math.ceil(requested / perChild)
if (childCount > 250) throw new Error('too many client processes; raise --per-child')
// Each child connects from its own source address, so it needs fewer ephemeral ports than the range holds.
if (Math.ceil(requested / childCount) > ephemeralPorts - 1000) throw new Error(`--per-child must stay below the ${ephemeralPorts} ephemeral ports of one source address`)

const log = (text: string) => console.log(`[${((Date.now() - startedAt) / 1000).toFixed(1)}s] ${text}`)
const children: ChildProcess[] = []
let pm2: Pm2Home | null = null
let redis: RedisConnection | null = null

type ChildMessage = { type: string; [key: string]: unknown }
/** Resolves with the next IPC message of `type` from `child`; rejects if it exits first or after `timeoutMs`. */
function nextMessage(child: ChildProcess, type: string, timeoutMs: number): Promise<ChildMessage> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: ChildMessage) => m.type === type && (cleanup(), resolve(m))
    const onExit = (code: number | null) => (cleanup(), reject(new Error(`client process exited (${code}) before "${type}"`)))
    const timer = setTimeout(() => (cleanup(), reject(new Error(`no "${type}" from a client process within ${timeoutMs} ms`))), timeoutMs)
    const cleanup = () => {
      clearTimeout(timer)
      child.off('message', onMessage)
      child.off('exit', onExit)
    }
    child.on('message', onMessage)
    child.on('exit', onExit)
  })
}
const remaining = (reserveMs: number) => Math.max(1000, HARD_LIMIT_MS - reserveMs - (Date.now() - startedAt))

/** Open sockets of a process (its fds that are sockets), from /proc. */
function socketCount(pid: number): number | null {
  try {
    return readdirSync(`/proc/${pid}/fd`).filter((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')
      } catch {
        return false
      }
    }).length
  } catch {
    return null
  }
}

const gatewayRows = (list: Pm2Process[]) =>
  list.filter((p) => p.name === 'cmws-gateway').map((p) => ({ pid: p.pid, status: p.status, restarts: p.restarts, rssMb: Math.round(p.memory / 2 ** 20), cpuPercent: p.cpu, sockets: socketCount(p.pid) }))

let cleaning: Promise<void> | null = null
function cleanup(): Promise<void> {
  return (cleaning ??= (async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once('exit', r)) : null)))
    if (pm2) {
      const { leftovers } = await pm2.kill(15_000)
      if (leftovers.length > 0) log(`SIGKILLed leftover pm2 processes ${leftovers.join(', ')}`)
      pm2.remove()
    }
    if (redis) {
      let cursor = '0'
      do {
        const [next, keys] = await redis.command.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
        if (keys.length > 0) await redis.command.unlink(...keys)
        cursor = next
      } while (cursor !== '0')
      await redis.close()
    }
  })())
}

// Bounded in time whatever happens; Ctrl-C cleans up too.
const hardStop = setTimeout(() => {
  log(`time limit (${HARD_LIMIT_MS / 1000} s) reached: stopping`)
  void cleanup().finally(() => process.exit(2))
}, HARD_LIMIT_MS)
hardStop.unref()
process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)))

try {
  if (!args['no-build']) {
    log('npm run build')
    await new Promise<void>((resolve, reject) => execFile('npm', ['run', 'build'], { cwd: repoRoot }, (err, out, errOut) => (err ? reject(new Error(`build failed:\n${out}${errOut}`)) : resolve())))
  }
  redis = createRedisConnection({ url: REDIS_URL, prefix, logger: pino({ level: 'silent' }), name: 'bench' })
  await redis.ready(AbortSignal.timeout(5000))

  const [wsPort, indexerPort] = [await freePort(), await freePort()]
  pm2 = createPm2Home('cmws-bench-pm2-')
  log(`pm2 start ecosystem.config.cjs (GATEWAYS=${gatewayCount}, WS_PORT=${wsPort}, PM2_HOME=${pm2.home})`)
  await pm2.start({
    GATEWAYS: String(gatewayCount),
    WS_PORT: String(wsPort),
    INDEXER_PORT: String(indexerPort),
    HOST: '127.0.0.1',
    REDIS_URL,
    REDIS_PREFIX: prefix,
    CORE_NETWORK: 'none',
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    MAX_CONNECTIONS: '18000',
    MAX_CONNECTIONS_PER_IP: '1000000',
    SHUTDOWN_TIMEOUT_MS: '2000',
  })
  const home = pm2
  await waitFor(() => home.loggedBy('cmws-gateway', 'listening on ws://').size === gatewayCount, { timeoutMs: 30_000, intervalMs: 100, message: `${gatewayCount} gateways listening` })
  await waitForGateways(wsPort, { samples: 2 * gatewayCount })
  const idle = await pm2.list()
  log(`online: ${idle.map((p) => `${p.name}(${p.pid}, ${p.status})`).join(', ')}`)

  // Connect: each child its own source address and share of the connections.
  const url = `ws://127.0.0.1:${wsPort}`
  const shares = Array.from({ length: childCount }, (_, i) => Math.floor(requested / childCount) + (i < requested % childCount ? 1 : 0))
  for (let i = 0; i < childCount; i++) {
    children.push(fork(new URL('./connectionsClients.ts', import.meta.url).pathname, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }))
  }
  log(`opening ${requested} connections to ${url} from ${childCount} processes (${shares.join(' + ')}; source addresses 127.0.0.2–127.0.0.${childCount + 1})`)
  const connectStarted = performance.now()
  const connected = await Promise.all(
    children.map((child, i) => {
      const reply = nextMessage(child, 'connected', remaining(60_000))
      child.send({ type: 'start', url, count: shares[i], localAddress: `127.0.0.${i + 2}`, concurrency })
      return reply
    }),
  )
  const connectSeconds = (performance.now() - connectStarted) / 1000
  const established = connected.reduce((n, c) => n + (c['established'] as number), 0)
  const failed = connected.reduce((n, c) => n + (c['failed'] as number), 0)
  const refusedByStatus: Record<string, number> = {}
  for (const c of connected) for (const [status, n] of Object.entries(c['refused'] as Record<string, number>)) refusedByStatus[status] = (refusedByStatus[status] ?? 0) + n
  const refused = Object.values(refusedByStatus).reduce((a, b) => a + b, 0)
  const firstError = connected.map((c) => c['firstError']).find(Boolean) ?? null
  log(`connected: ${established} established, ${refused} refused ${JSON.stringify(refusedByStatus)}, ${failed} failed${firstError ? ` (first: ${String(firstError)})` : ''} in ${connectSeconds.toFixed(1)} s`)
  const loaded = gatewayRows(await pm2.list())

  // Publish on the Redis bus, as the indexer does, and wait until every connection has every message.
  const bus = createRedisBus({ redis, historySize: 1000, logger: pino({ level: 'silent' }) })
  const delivered = children.map((child) => nextMessage(child, 'delivered', remaining(40_000)).then(() => true, () => false))
  for (const child of children) child.send({ type: 'expect', messages })
  const publishStarted = performance.now()
  for (let i = 0; i < messages; i++) {
    const item = trade('0xABaBaBaBABabABabAbAbABAbABabababaBaBABaB', { txHash: `0x${(i + 1).toString(16).padStart(64, '0')}` })
    await bus.publish('trades', dataPublication(encodeItems('trades', [item])))
  }
  const allDelivered = (await Promise.all(delivered)).every(Boolean)
  const deliverSeconds = (performance.now() - publishStarted) / 1000
  const reports = await Promise.all(children.map((child) => {
    const reply = nextMessage(child, 'report', 10_000)
    child.send({ type: 'report' })
    return reply
  }))
  await bus.close()
  const received = reports.reduce((n, r) => n + (r['received'] as number), 0)
  const complete = reports.reduce((n, r) => n + (r['complete'] as number), 0)
  const dropped = reports.reduce((n, r) => n + (r['dropped'] as number), 0)
  const after = gatewayRows(await pm2.list())

  const summary = {
    port: wsPort,
    gateways: gatewayCount,
    maxConnectionsPerGateway: 18_000,
    clientProcesses: childCount,
    requested,
    established,
    refused,
    refusedByStatus,
    failed,
    connectSeconds: Math.round(connectSeconds * 10) / 10,
    messages,
    deliveriesExpected: established * messages,
    deliveriesReceived: received,
    connectionsWithEveryMessage: complete,
    droppedAfterSubscribe: dropped,
    allDelivered,
    deliverSeconds: Math.round(deliverSeconds * 100) / 100,
  }
  console.table([{ requested, established, refused, failed, 'connect s': summary.connectSeconds, 'deliveries received': received, 'deliveries expected': summary.deliveriesExpected, 'deliver s': summary.deliverSeconds }])
  console.table(loaded.map((g, i) => ({ gateway: g.pid, 'sockets (connected)': g.sockets, 'RSS MB (connected)': g.rssMb, 'RSS MB (after delivery)': after[i]?.rssMb ?? null, restarts: after[i]?.restarts ?? g.restarts })))
  const machine = { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version, openFilesLimit: /Max open files\s+(\d+)/.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1] ?? null, ephemeralPorts: `${portLow}-${portHigh}`, date: new Date().toISOString() }
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true })
  writeFileSync(new URL('./results/connections.json', import.meta.url), JSON.stringify({ machine, summary, gatewaysConnected: loaded, gatewaysAfterDelivery: after, clients: connected }, null, 2))
  log('wrote bench/results/connections.json')
  const ok = established === requested && allDelivered && received === summary.deliveriesExpected
  log(ok ? `OK: ${established} connections held on port ${wsPort}, every one received all ${messages} messages` : 'NOT OK: see the figures above')
  process.exitCode = ok ? 0 : 1
} catch (err) {
  console.error(err)
  process.exitCode = 1
} finally {
  log('stopping: client processes, then pm2 kill')
  await cleanup()
  clearTimeout(hardStop)
  log('done')
}
