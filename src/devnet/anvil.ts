import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'

/** Options of {@link startAnvil}. */
export type StartAnvilParameters = {
  /** TCP port; `0` (the default) picks a free one. */
  port?: number
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string
  /** Seconds between blocks (fractions allowed); `undefined` = automine (one block per transaction). */
  blockTime?: number
  /** Chain id. Default 31337 (anvil's). */
  chainId?: number
  /** EVM hardfork. Default `shanghai`, what the contracts are compiled for and what Core runs. */
  hardfork?: string
  /** Stops anvil when aborted. */
  signal?: AbortSignal
  /** How long to wait for the first JSON-RPC answer. Default 15 s. */
  startTimeoutMs?: number
  /** More command-line arguments, appended as given, e.g. `['--load-state', file]` or `['--prune-history']`. */
  args?: readonly string[]
}

/** A running anvil child process. */
export type Anvil = {
  rpcUrl: string
  wsUrl: string
  port: number
  pid: number
  /** Terminates anvil (SIGTERM, then SIGKILL after 3 s) and resolves once it has exited. Idempotent. */
  stop(): Promise<void>
}

/** Every anvil this process started and has not yet seen exit: killed when the process goes away. */
const children = new Set<ChildProcess>()
let exitHandlersRegistered = false

const PLATFORM_PACKAGES: Record<string, string> = {
  'linux-x64': 'anvil-linux-amd64',
  'linux-arm64': 'anvil-linux-arm64',
  'darwin-x64': 'anvil-darwin-amd64',
  'darwin-arm64': 'anvil-darwin-arm64',
  'win32-x64': 'anvil-win32-amd64',
}

/**
 * Path of the anvil binary shipped by the npm package `@foundry-rs/anvil` (its platform package).
 * `ANVIL_BIN` overrides it.
 *
 * @example
 * anvilBinaryPath() // '/…/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil'
 */
export function anvilBinaryPath(): string {
  if (process.env.ANVIL_BIN) return process.env.ANVIL_BIN
  const platformPackage = PLATFORM_PACKAGES[`${process.platform}-${process.arch}`]
  if (!platformPackage) throw new Error(`anvil: no binary for ${process.platform}-${process.arch}`)
  const fromHere = createRequire(import.meta.url)
  const fromAnvil = createRequire(fromHere.resolve('@foundry-rs/anvil/package.json'))
  const exe = process.platform === 'win32' ? 'anvil.exe' : 'anvil'
  return fromAnvil.resolve(`@foundry-rs/${platformPackage}/bin/${exe}`)
}

/**
 * Asks the OS for a free TCP port (listen on port 0, read it, close).
 *
 * @example
 * const port = await freePort() // e.g. 40123
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = createServer()
  server.listen(0, host)
  await once(server, 'listening')
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (address === null || typeof address === 'string') throw new Error('freePort: no TCP address')
  return address.port
}

/** Fails fast when `port` is taken: otherwise whatever listens there would answer our readiness probe. */
async function assertPortFree(port: number, host: string): Promise<void> {
  const server = createServer()
  server.listen(port, host)
  try {
    await once(server, 'listening') // rejects on 'error'
  } catch (err) {
    throw new Error(`anvil: port ${port} on ${host} is not available (${(err as Error).message})`, { cause: err })
  }
  await new Promise<void>((resolve) => server.close(() => resolve()))
}

function anvilArgs(port: number, host: string, p: StartAnvilParameters): string[] {
  const args = ['--silent', '--port', String(port), '--host', host, '--hardfork', p.hardfork ?? 'shanghai']
  if (p.chainId !== undefined) args.push('--chain-id', String(p.chainId))
  if (p.blockTime !== undefined) args.push('--block-time', String(p.blockTime))
  if (p.args) args.push(...p.args)
  return args
}

/** Sends `eth_chainId`; true when anvil answers. */
async function answers(rpcUrl: string): Promise<boolean> {
  try {
    const res = await fetch(rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      signal: AbortSignal.timeout(1000),
    })
    return res.ok && typeof ((await res.json()) as { result?: unknown }).result === 'string'
  } catch {
    return false
  }
}

/** Polls until anvil answers; rejects if it exits first, the timeout passes or the signal aborts. */
async function waitUntilReady(child: ChildProcess, rpcUrl: string, timeoutMs: number, stderr: () => string, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs
  const exited = () => child.exitCode !== null || child.signalCode !== null
  while (exited() || !(await answers(rpcUrl))) {
    if (exited()) throw new Error(`anvil exited (${child.exitCode ?? child.signalCode}) before answering: ${stderr().trim()}`)
    if (signal?.aborted) throw new Error('anvil start aborted')
    if (Date.now() > deadline) throw new Error(`anvil did not answer on ${rpcUrl} within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

function killAllChildren(): void {
  for (const child of children) child.kill('SIGKILL')
  children.clear()
}

/**
 * On SIGINT/SIGTERM with no other listener, kills our anvils and re-raises the signal so the default
 * (exit) still happens. When the program listens too, it owns the shutdown; the 'exit' hook still
 * kills whatever is left when the process ends.
 */
function onSignal(signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) > 1) return
  killAllChildren()
  process.off(signal, onSignal)
  process.kill(process.pid, signal)
}

/** Registers, once per process, the handlers that kill every child on exit, crash, SIGINT and SIGTERM. */
function registerExitHandlers(): void {
  if (exitHandlersRegistered) return
  exitHandlersRegistered = true
  // 'exit' also fires after an uncaught exception; only synchronous work is possible there.
  process.on('exit', killAllChildren)
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
}

function makeStop(child: ChildProcess): () => Promise<void> {
  let stopping: Promise<void> | undefined
  return () => {
    stopping ??= (async () => {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit')
        child.kill('SIGTERM')
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
        await exited
        clearTimeout(timer)
      }
      children.delete(child)
    })()
    return stopping
  }
}

/**
 * Starts anvil (the binary from `@foundry-rs/anvil`) and resolves once it answers JSON-RPC.
 * The child is killed when this process exits, crashes or gets SIGINT/SIGTERM.
 *
 * @example
 * const anvil = await startAnvil({ port: 0 })          // automine, random port
 * const paced = await startAnvil({ blockTime: 1 })     // one block per second
 * await anvil.stop()
 */
export async function startAnvil(parameters: StartAnvilParameters = {}): Promise<Anvil> {
  parameters.signal?.throwIfAborted()
  const host = parameters.host ?? '127.0.0.1'
  const port = parameters.port ? parameters.port : await freePort(host)
  if (parameters.port) await assertPortFree(port, host)
  registerExitHandlers()
  const child = spawn(anvilBinaryPath(), anvilArgs(port, host, parameters), { stdio: ['ignore', 'ignore', 'pipe'] })
  children.add(child)
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)))
  child.on('exit', () => children.delete(child))
  const spawnFailed = once(child, 'spawn').then(() => undefined, (err: Error) => err)
  const stop = makeStop(child)
  const urlHost = host === '0.0.0.0' ? '127.0.0.1' : host
  const rpcUrl = `http://${urlHost}:${port}`
  try {
    const err = await spawnFailed
    if (err) throw err
    await waitUntilReady(child, rpcUrl, parameters.startTimeoutMs ?? 15_000, () => stderr, parameters.signal)
    parameters.signal?.throwIfAborted()
  } catch (err) {
    await stop()
    throw err
  }
  parameters.signal?.addEventListener('abort', () => void stop(), { once: true })
  return { rpcUrl, wsUrl: `ws://${urlHost}:${port}`, port, pid: child.pid ?? -1, stop }
}
