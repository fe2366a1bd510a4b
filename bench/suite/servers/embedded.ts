/**
 * Server of the soak (`npm run bench -- --soak`): core-meme-websocket as `npm start` runs it with no
 * chain configured: the embedded devnet (anvil on a free port, our contracts, the market simulator),
 * the indexer and the gateway in this process. Answers `start` once it serves, and `stats`.
 */
import { mkdtempSync, readFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { built } from '../built.js'
import { nowMs, serveRpc } from '../ipc.js'
import type * as AppModule from '../../../src/app.js'
import type * as ConfigModule from '../../../src/config/config.js'

const { createApp } = await built<typeof AppModule>('app.js')
const { parseConfig } = await built<typeof ConfigModule>('config/config.js')

const dir = mkdtempSync(join(os.tmpdir(), 'cmws-soak-'))
const config = parseConfig({
  WS_PORT: '0',
  HOST: '127.0.0.1',
  NODE_ENV: 'production',
  LOG_LEVEL: 'error',
  DEVNET_RPC_PORT: '0',
  DEVNET_FILE: join(dir, 'devnet.json'),
  MAX_CONNECTIONS_PER_IP: '100000',
  // Stop at once when the soak ends (anvil is stopped and reaped by app.stop()).
  DRAIN_GRACE_MS: '0',
  DRAIN_SPREAD_MS: '0',
  SHUTDOWN_TIMEOUT_MS: '3000',
})
const app = createApp(config, pino({ level: config.LOG_LEVEL }))

serveRpc({
  async start() {
    const port = await app.start()
    while (!app.ready()) await new Promise((r) => setTimeout(r, 100))
    return port
  },
  stats() {
    const cpu = process.cpuUsage()
    const memory = process.memoryUsage()
    // Then what the process holds once its garbage is collected: V8 lets old space grow to several
    // times the live heap between collections, so a plain sample says where that sawtooth was.
    globalThis.gc?.()
    const collected = process.memoryUsage()
    return {
      cpuUs: cpu.user + cpu.system,
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      heapTotalBytes: memory.heapTotal,
      externalBytes: memory.external,
      rssAfterGcBytes: collected.rss,
      heapAfterGcBytes: collected.heapUsed,
      ...procStatus(),
      connections: app.gateway?.connections() ?? 0,
      slowClosed: app.gateway?.stats().slowConsumers ?? 0,
      at: nowMs(),
    }
  },
}, () => app.stop())

/** Anonymous and file-backed resident memory (Linux), in bytes. */
function procStatus(): { rssAnonBytes?: number; rssFileBytes?: number } {
  try {
    const status = readFileSync('/proc/self/status', 'utf8')
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024
    return { rssAnonBytes: kb('RssAnon'), rssFileBytes: kb('RssFile') }
  } catch {
    return {}
  }
}
