import { execFile } from 'node:child_process'
import { request } from 'node:http'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { waitFor } from '../support/waitFor.js'

/** The repository root: PM2 runs `ecosystem.config.cjs` from here. */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url))
const pm2Bin = join(repoRoot, 'node_modules', '.bin', 'pm2')

/** One process of `pm2 jlist`. */
export type Pm2Process = { name: string; pmId: number; pid: number; status: string; execMode: string; restarts: number; memory: number; cpu: number }

/**
 * A PM2 of our own: its daemon, sockets, logs and pid files in a fresh temp `PM2_HOME` (never the
 * user's ~/.pm2), driven with the project's `node_modules/.bin/pm2`.
 */
export type Pm2Home = {
  readonly home: string
  /** Runs `pm2 <args>` with this PM2_HOME and `env` on top of ours; resolves to stdout. */
  run(args: string[], env?: Record<string, string>): Promise<string>
  /** `pm2 start ecosystem.config.cjs` with `env` (the ecosystem reads GATEWAYS, WS_PORT, … from it). */
  start(env: Record<string, string>): Promise<void>
  /** `pm2 jlist`, parsed. Only while the daemon runs (pm2 would start a new one otherwise). */
  list(): Promise<Pm2Process[]>
  /** The daemon's pid (from `pm2.pid`), or null before it started. */
  daemonPid(): number | null
  /** The daemon and every process below it, now (Linux /proc). Call it before `kill` to know what to check. */
  processTree(): number[]
  /** What the app's instances wrote: stdout (`logs/<app>-out.log`, merged across instances), then stderr. */
  output(app: string): string
  /** Pids of the app's processes that logged a (JSON) line containing `text`, e.g. 'listening on ws://'. */
  loggedBy(app: string, text: string): Set<number>
  /** PM2's own log (`pm2.log`: starts, exits with code and signal). */
  daemonLog(): string
  /**
   * `pm2 kill`, then waits until every process of the tree (as seen just before) is gone; SIGKILLs
   * what is left after `timeoutMs`. Safe to call twice, and when the daemon never started.
   */
  kill(timeoutMs?: number): Promise<{ pids: number[]; leftovers: number[] }>
  /** Deletes the temp PM2_HOME (after `kill`). */
  remove(): void
}

/** GET a JSON document on a new TCP connection (no keep-alive), so a PM2 cluster may hand each request to any instance. */
export function getJson(port: number, path: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, headers: { connection: 'close' } }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => {
        try {
          resolve(JSON.parse(body) as Record<string, unknown>)
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)))
        }
      })
    })
    req.on('error', reject)
    req.end()
  })
}

/**
 * Resolves once gateways on `port` have joined the bus: `samples` /health answers in a row (each on a
 * new connection, dealt round-robin by the cluster) report a connected Redis bus with an epoch (a
 * gateway refuses upgrades with 503 until it has one, i.e. until the indexer initialised the bus).
 */
export async function waitForGateways(port: number, { samples = 4, timeoutMs = 30_000 } = {}): Promise<void> {
  await waitFor(async () => {
    for (let i = 0; i < samples; i++) {
      const health = await getJson(port, '/health')
      const bus = health['bus'] as { connected?: boolean; epoch?: unknown } | undefined
      if (health['role'] !== 'gateway' || !bus?.connected || typeof bus.epoch !== 'string') return false
    }
    return true
  }, { timeoutMs, intervalMs: 100, message: `gateways on ${port} joined the bus` })
}

/** True while `pid` exists and is not a zombie (an exited child nobody reaped yet holds nothing). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return existsSync(`/proc/${pid}`) || !existsSync('/proc')
  }
}

/** The command line of `pid` ('' if unknown). */
function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8')
  } catch {
    return ''
  }
}

/** `pid` and all its descendants, from /proc (just `[pid]` without /proc). */
export function descendants(pid: number): number[] {
  if (!existsSync('/proc')) return [pid]
  const children = new Map<number, number[]>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)])
    } catch {
      // gone meanwhile
    }
  }
  const tree: number[] = []
  const walk = (p: number) => {
    tree.push(p)
    for (const c of children.get(p) ?? []) walk(c)
  }
  walk(pid)
  return tree
}

/**
 * @example
 * const pm2 = createPm2Home()
 * await pm2.start({ GATEWAYS: '2', WS_PORT: '3103', INDEXER_PORT: '3104', REDIS_PREFIX: 'x:' })
 * await pm2.list() // [{ name: 'cmws-indexer', … }, …]
 * await pm2.kill(); pm2.remove()
 */
export function createPm2Home(prefix = 'cmws-pm2-'): Pm2Home {
  const home = mkdtempSync(join(tmpdir(), prefix))
  /** Every process seen in the tree, with its command line (a pid is only ever killed while it still runs that). */
  const known = new Map<number, string>()
  const remember = () => {
    for (const pid of processTree()) if (!known.has(pid)) known.set(pid, cmdline(pid))
  }

  function run(args: string[], env: Record<string, string> = {}): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(pm2Bin, args, { cwd: repoRoot, env: { ...process.env, ...env, PM2_HOME: home }, timeout: 60_000, maxBuffer: 64 * 2 ** 20 }, (err, stdout, stderr) =>
        err ? reject(new Error(`pm2 ${args.join(' ')} failed: ${err.message}\n${stderr}\n${stdout}`.slice(0, 4000), { cause: err })) : resolve(stdout),
      )
    })
  }

  function daemonPid(): number | null {
    try {
      return Number(readFileSync(join(home, 'pm2.pid'), 'utf8').trim()) || null
    } catch {
      return null
    }
  }

  function processTree(): number[] {
    const pid = daemonPid()
    return pid === null ? [] : descendants(pid)
  }

  const readLog = (file: string) => (existsSync(join(home, file)) ? readFileSync(join(home, file), 'utf8') : '')

  return {
    home,
    run,
    async start(env) {
      await run(['start', 'ecosystem.config.cjs'], env)
      remember()
    },
    async list() {
      const out = await run(['jlist'])
      const json = JSON.parse(out.slice(out.indexOf('['))) as { name: string; pm_id: number; pid: number; monit?: { memory: number; cpu: number }; pm2_env: { status: string; exec_mode: string; restart_time: number } }[]
      return json.map((p) => ({ name: p.name, pmId: p.pm_id, pid: p.pid, status: p.pm2_env.status, execMode: p.pm2_env.exec_mode, restarts: p.pm2_env.restart_time, memory: p.monit?.memory ?? 0, cpu: p.monit?.cpu ?? 0 }))
    },
    daemonPid,
    processTree,
    output: (app) => readLog(join('logs', `${app}-out.log`)) + readLog(join('logs', `${app}-error.log`)),
    loggedBy(app, text) {
      const pids = new Set<number>()
      for (const line of readLog(join('logs', `${app}-out.log`)).split('\n')) {
        if (!line.includes(text)) continue
        try {
          pids.add((JSON.parse(line) as { pid: number }).pid)
        } catch {
          // not a JSON log line
        }
      }
      return pids
    },
    daemonLog: () => readLog('pm2.log'),
    async kill(timeoutMs = 20_000) {
      const daemon = daemonPid()
      remember()
      const pids = [...known.keys()]
      if (daemon !== null && alive(daemon)) await run(['kill']).catch(() => {})
      try {
        await waitFor(() => pids.every((p) => !alive(p)), { timeoutMs, intervalMs: 50, message: `pm2 processes ${pids.join(', ')} exited` })
        return { pids, leftovers: [] }
      } catch {
        const leftovers = pids.filter(alive)
        for (const p of leftovers) {
          try {
            if (cmdline(p) === known.get(p)) process.kill(p, 'SIGKILL')
          } catch {
            // already gone
          }
        }
        return { pids, leftovers }
      }
    },
    remove() {
      rmSync(home, { recursive: true, force: true })
    },
  }
}
