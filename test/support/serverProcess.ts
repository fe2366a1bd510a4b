import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { freePort } from '../../src/devnet/anvil.js'
import { waitFor } from './waitFor.js'

/** A server running as a process of its own (`node --import tsx src/index.ts`), as in production. */
export type ServerProcess = {
  readonly pid: number
  readonly port: number
  /** `ws://127.0.0.1:<port>` */
  readonly url: string
  /** `http://127.0.0.1:<port>` */
  readonly http: string
  /** Everything the process wrote (JSON log lines with NODE_ENV=production). */
  output(): string
  /** GET /health, parsed. */
  health(): Promise<Record<string, unknown>>
  /** SIGTERM, then waits for the exit; resolves to the exit code. */
  stop(): Promise<number | null>
  /** SIGKILL (a crash), then waits for the exit. */
  kill(): Promise<void>
  /** True until the process exited. */
  running(): boolean
}

const started = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of started) if (child.exitCode === null) child.kill('SIGKILL')
})

/**
 * Starts a server process with `env` on a free port (or `env.WS_PORT`) and waits until `/health`
 * answers. Logs are JSON (NODE_ENV=production) at `LOG_LEVEL` (default `info`).
 *
 * @example
 * const gateway = await startServerProcess({ ROLE: 'gateway', REDIS_URL: redis.url, REDIS_PREFIX: prefix })
 * await gateway.kill()
 */
export async function startServerProcess(env: Record<string, string>, { timeoutMs = 30_000 } = {}): Promise<ServerProcess> {
  const port = env['WS_PORT'] ? Number(env['WS_PORT']) : await freePort()
  let output = ''
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/index.ts'], {
    env: { ...process.env, NODE_ENV: 'production', LOG_LEVEL: 'info', HOST: '127.0.0.1', MAX_CONNECTIONS_PER_IP: '1000', DRAIN_GRACE_MS: '0', DRAIN_SPREAD_MS: '0', ...env, WS_PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  started.add(child)
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()))
  const exited = once(child, 'exit').then(([code]) => {
    started.delete(child)
    return code as number | null
  })
  const http = `http://127.0.0.1:${port}`
  const health = async () => (await (await fetch(`${http}/health`)).json()) as Record<string, unknown>
  try {
    await waitFor(async () => child.exitCode === null && (await health()).status === 'ok', { timeoutMs, intervalMs: 100, message: `server on ${port} answers /health` })
  } catch (err) {
    child.kill('SIGKILL')
    throw new Error(`server process did not start (exit ${child.exitCode}):\n${output.slice(-3000)}`, { cause: err })
  }
  return {
    pid: child.pid!,
    port,
    url: `ws://127.0.0.1:${port}`,
    http,
    output: () => output,
    health,
    running: () => child.exitCode === null && child.signalCode === null,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      return exited
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      await exited
    },
  }
}
