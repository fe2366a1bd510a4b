import { Redis, type RedisOptions } from 'ioredis'
import type { Logger } from 'pino'
import { unavailable } from '../protocol/errors.js'
import { redisKeys, type RedisKeys } from './keys.js'

/**
 * We use `ioredis`: one client for commands, Lua scripts (`defineCommand`, EVALSHA with fallback),
 * MULTI and Streams, and a dedicated Pub/Sub connection; reconnection with our own backoff; and
 * control over what happens to commands during an outage (we fail them fast and retry ourselves,
 * rather than let a queue resend a commit that may already have run).
 */
export type RedisConnection = {
  /** Commands and scripts. Fails fast while disconnected (no offline queue, no resend). */
  readonly command: Redis
  readonly keys: RedisKeys
  /** The Pub/Sub connection, opened on first use. */
  subscriber(): Redis
  /** True while the command connection is ready. */
  connected(): boolean
  /** True while the Pub/Sub connection (once opened) is ready. */
  subscriberConnected(): boolean
  /** Resolves once the command connection is ready; rejects when `signal` aborts. */
  ready(signal?: AbortSignal): Promise<void>
  close(): Promise<void>
}

export type RedisConnectionOptions = { url: string; prefix: string; logger: Logger; name: string }

const options = (name: string): RedisOptions => ({
  lazyConnect: true,
  connectionName: name,
  enableOfflineQueue: false,
  autoResendUnfulfilledCommands: false,
  maxRetriesPerRequest: 0,
  retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
})

/**
 * Opens the command connection (and later the Pub/Sub one) to `REDIS_URL`. Outages are logged once
 * when they start (with the error) and once when they end (with their duration), not per attempt.
 *
 * @example
 * const redis = createRedisConnection({ url: 'redis://127.0.0.1:6379', prefix: 'cmws:', logger, name: 'gateway' })
 * await redis.ready()
 */
export function createRedisConnection({ url, prefix, logger, name }: RedisConnectionOptions): RedisConnection {
  const log = logger.child({ module: 'redis' })
  const command = watch(new Redis(url, options(`cmws-${name}`)), log, 'commands')
  let subscriber: Redis | null = null
  command.connect().catch(() => {}) // failures are retried by ioredis and logged by `watch`

  return {
    command,
    keys: redisKeys(prefix),
    subscriber() {
      if (!subscriber) {
        subscriber = watch(new Redis(url, { ...options(`cmws-${name}-sub`), enableOfflineQueue: true, autoResubscribe: false }), log, 'pubsub')
        subscriber.connect().catch(() => {})
      }
      return subscriber
    },
    connected: () => command.status === 'ready',
    subscriberConnected: () => subscriber?.status === 'ready',
    ready: (signal) => whenReady(command, signal),
    async close() {
      await Promise.all([command, subscriber].map((c) => c?.quit().catch(() => c.disconnect())))
    },
  }
}

/**
 * Runs a read on `redis`; while the connection is not ready, or when it dropped during the read,
 * fails with the protocol's `unavailable` error (clients retry) instead of a driver error.
 *
 * @example
 * const seq = await guarded(redis, 'the bus', () => redis.command.get(keys.seq('trades')))
 */
export async function guarded<T>(redis: RedisConnection, what: string, read: () => Promise<T>): Promise<T> {
  if (!redis.connected()) throw unavailable(what)
  try {
    return await read()
  } catch (err) {
    throw redis.connected() ? err : unavailable(what, err)
  }
}

/** Resolves when `redis` is ready (at once if it is). */
export function whenReady(redis: Redis, signal?: AbortSignal): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve()
  return new Promise((resolve, reject) => {
    const done = () => {
      signal?.removeEventListener('abort', abort)
      resolve()
    }
    const abort = () => {
      redis.off('ready', done)
      reject(signal?.reason ?? new Error('aborted'))
    }
    if (signal?.aborted) return abort()
    redis.once('ready', done)
    signal?.addEventListener('abort', abort, { once: true })
  })
}

/** Logs a connection's outages: the first error, then the recovery with the outage's duration. */
function watch(redis: Redis, log: Logger, role: string): Redis {
  let downSince: number | null = null
  let failures = 0
  redis.on('error', (err: Error) => {
    failures++
    if (downSince !== null) return
    downSince = Date.now()
    log.warn({ err: { message: err.message }, role }, 'redis unreachable; retrying')
  })
  redis.on('close', () => {
    if (downSince === null && redis.status !== 'end') {
      downSince = Date.now()
      log.warn({ role }, 'redis connection lost; reconnecting')
    }
  })
  redis.on('ready', () => {
    if (downSince !== null) log.info({ role, outageMs: Date.now() - downSince, failedAttempts: failures }, 'redis connection restored')
    downSince = null
    failures = 0
  })
  return redis
}
