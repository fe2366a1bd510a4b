/**
 * Request/reply over the IPC channel of a forked child: the bench (parent) calls commands, the
 * child (a server under test or a load generator) answers each one. A child exits when its parent
 * goes away, so nothing outlives the bench.
 */
import { fork, type ChildProcess } from 'node:child_process'

type Request = { rpc: number; cmd: string; args: unknown }
type Reply = { rpc: number; ok: boolean; result?: unknown; error?: string }

export type Rpc = {
  readonly child: ChildProcess
  call<T>(cmd: string, args?: unknown, timeoutMs?: number): Promise<T>
  /** Asks the child to exit, then SIGKILLs it if it is still there after `graceMs`. */
  stop(graceMs?: number): Promise<void>
}

/** Every child forked by this process (so that an abort can kill exactly these). */
const forked = new Set<ChildProcess>()

/** Extra node flags for forked processes from an environment variable (e.g. BENCH_SERVER_NODE_FLAGS="--cpu-prof"). */
export const nodeFlags = (variable: string): string[] => process.env[variable]?.split(' ').filter(Boolean) ?? []

/** Forks a TypeScript module (through tsx) and wraps its IPC channel. */
export function forkRpc(modulePath: string, args: string[] = [], execArgv: string[] = []): Rpc {
  const child = fork(modulePath, args, { execArgv: [...execArgv, '--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  track(child)
  let next = 0
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void; timer: NodeJS.Timeout }>()
  child.on('message', (m: Reply) => {
    const p = typeof m?.rpc === 'number' ? pending.get(m.rpc) : undefined
    if (!p) return
    pending.delete(m.rpc)
    clearTimeout(p.timer)
    if (m.ok) p.resolve(m.result)
    else p.reject(new Error(m.error ?? 'failed'))
  })
  child.once('exit', (code, signal) => {
    for (const p of pending.values()) {
      clearTimeout(p.timer)
      p.reject(new Error(`${modulePath} exited (${code ?? signal}) during a call`))
    }
    pending.clear()
  })
  const exited = () => child.exitCode !== null || child.signalCode !== null
  return {
    child,
    call<T>(cmd: string, args?: unknown, timeoutMs = 120_000): Promise<T> {
      if (exited()) return Promise.reject(new Error(`${modulePath} is not running`))
      const rpc = ++next
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(rpc)
          reject(new Error(`${cmd}: no answer from ${modulePath} within ${timeoutMs} ms`))
        }, timeoutMs)
        pending.set(rpc, { resolve: resolve as (v: unknown) => void, reject, timer })
        child.send({ rpc, cmd, args } satisfies Request)
      })
    },
    async stop(graceMs = 3000) {
      if (exited()) return
      const gone = new Promise((resolve) => child.once('exit', resolve))
      try {
        child.send({ rpc: 0, cmd: 'exit', args: null } satisfies Request)
      } catch {
        // the channel is already closed
      }
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
      await gone
      clearTimeout(timer)
    },
  }
}

/** Counts `child` among the children `killForked` stops. */
export function track(child: ChildProcess): void {
  forked.add(child)
  child.once('exit', () => forked.delete(child))
}

/**
 * Stops every child this process forked that still runs (abort path): SIGTERM first, so that a child
 * that started anvil stops it too (a SIGKILLed parent leaves its anvil behind), then SIGKILL for any
 * child still there after `graceMs`.
 */
export async function killForked(graceMs = 2000): Promise<void> {
  const running = [...forked].filter((child) => child.exitCode === null && child.signalCode === null)
  const exits = running.map((child) => new Promise((resolve) => child.once('exit', resolve)))
  for (const child of running) child.kill('SIGTERM')
  let timer: NodeJS.Timeout | undefined
  await Promise.race([Promise.all(exits), new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))])
  clearTimeout(timer)
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
}

/**
 * In a child: answers the parent's calls with `handlers`; `exit` (or the parent going away) ends
 * the process, after `beforeExit` (bounded to 10 s) when given.
 */
export function serveRpc(handlers: Record<string, (args: never) => unknown>, beforeExit?: () => Promise<void>): void {
  let exiting = false
  const exit = () => {
    if (exiting) return
    exiting = true
    if (!beforeExit) process.exit(0)
    const timer = setTimeout(() => process.exit(0), 10_000)
    void beforeExit()
      .catch(() => {})
      .finally(() => {
        clearTimeout(timer)
        process.exit(0)
      })
  }
  process.on('message', (m: Request) => {
    if (typeof m?.rpc !== 'number') return
    if (m.cmd === 'exit') return exit()
    const handler = handlers[m.cmd]
    Promise.resolve()
      .then(() => {
        if (!handler) throw new Error(`unknown command ${m.cmd}`)
        return handler(m.args as never)
      })
      .then(
        (result) => process.send!({ rpc: m.rpc, ok: true, result } satisfies Reply),
        (err: unknown) => process.send!({ rpc: m.rpc, ok: false, error: err instanceof Error ? err.stack ?? err.message : String(err) } satisfies Reply),
      )
  })
  // The bench is gone (finished, crashed or killed): so is this child.
  process.on('disconnect', exit)
}

/** Wall clock in ms with sub-ms precision, comparable across the bench's processes. */
export const nowMs = (): number => performance.timeOrigin + performance.now()
