import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { freePort } from '../../src/devnet/anvil.js'
import { waitFor } from './waitFor.js'

/** A `redis-server` of the test's own, on an ephemeral port, that it may flush, kill and restart. */
export type TestRedis = {
  port: number
  url: string
  /** Kills the server (SIGKILL: nothing saved; it keeps no data anyway). */
  kill(): Promise<void>
  /** Starts it again on the same port, empty. */
  start(): Promise<void>
  /** A plain client for assertions and faults (closed by `stop`). */
  client(): Redis
  stop(): Promise<void>
}

/**
 * Starts `redis-server --save '' --appendonly no` on a free port. Tests that restart, flush or kill
 * Redis use this, never the shared server on 6379.
 *
 * @example
 * const redis = await startTestRedis()
 * await redis.kill(); await redis.start()
 */
export async function startTestRedis(): Promise<TestRedis> {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'cmws-redis-'))
  let child: ChildProcess | null = null
  const clients: Redis[] = []

  async function start(): Promise<void> {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' })
    const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
    probe.on('error', () => {})
    try {
      await waitFor(async () => {
        if (probe.status !== 'ready') await probe.connect().catch(() => probe.disconnect())
        return (await probe.ping()) === 'PONG'
      }, { message: `redis-server on ${port}`, intervalMs: 50 })
    } finally {
      probe.disconnect()
    }
  }

  async function kill(): Promise<void> {
    const c = child
    child = null
    if (!c || c.exitCode !== null) return
    c.kill('SIGKILL')
    await once(c, 'exit')
  }

  await start()
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    start,
    client() {
      const c = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1 })
      c.on('error', () => {})
      clients.push(c)
      return c
    },
    async stop() {
      for (const c of clients) c.disconnect()
      await kill()
    },
  }
}

/** A key prefix no other test uses, for tests on the shared Redis at 127.0.0.1:6379. */
export function uniquePrefix(name: string): string {
  return `test:${name}:${process.pid}:${Math.random().toString(36).slice(2, 8)}:`
}
