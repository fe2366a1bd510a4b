import { pino } from 'pino'
import { createApp, type App } from '../../src/app.js'
import { parseConfig } from '../../src/config/config.js'
import type { Gateway } from '../../src/gateway/gateway.js'
import { uniquePrefix } from './redisServer.js'
import { waitFor } from './waitFor.js'

export type TestServer = { app: App; gateway: Gateway; port: number; url: string; stop(): Promise<void> }

/**
 * Starts the whole app on an ephemeral port on 127.0.0.1 with quiet logs. Every test client comes
 * from 127.0.0.1, so the per-IP connection cap is raised to 1000 unless `env` says otherwise.
 *
 * @example
 * const server = await startTestServer({ HEARTBEAT_INTERVAL_MS: '1000' })
 */
export async function startTestServer(env: Record<string, string> = {}, { waitReady = true } = {}): Promise<TestServer> {
  const redis = process.env['TEST_BUS'] === 'redis' ? { REDIS_URL: 'redis://127.0.0.1:6379', REDIS_PREFIX: uniquePrefix('server') } : {}
  const config = parseConfig({ WS_PORT: '0', HOST: '127.0.0.1', NODE_ENV: 'test', LOG_LEVEL: 'silent', CORE_NETWORK: 'none', MAX_CONNECTIONS_PER_IP: '1000', DRAIN_GRACE_MS: '0', DRAIN_SPREAD_MS: '0', ...redis, ...env })
  const app = createApp(config, pino({ level: config.LOG_LEVEL }))
  const port = await app.start()
  if (waitReady) await waitFor(() => app.ready(), { timeoutMs: 30_000, message: 'the server is ready (its indexer caught up)' })
  if (!app.gateway) throw new Error('startTestServer runs a gateway (ROLE=all or gateway)')
  return { app, gateway: app.gateway, port, url: `ws://127.0.0.1:${port}`, stop: () => app.stop() }
}
