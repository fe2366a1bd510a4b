import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import type { RedisConnection } from '../redis/connection.js'
import { runScript } from '../redis/scripts.js'

/** Connection slots per client IP (`MAX_CONNECTIONS_PER_IP`). */
export type IpSlots = {
  /** Takes a slot for `ip` if it is under the limit: resolves to the function that gives it back, or null. */
  acquire(ip: string): Promise<(() => void) | null>
  close(): Promise<void>
}

/**
 * Slots counted in this process.
 *
 * @example
 * const slots = createLocalIpSlots(50)
 * const release = await slots.acquire('203.0.113.7') // null at the 51st
 */
export function createLocalIpSlots(limit: number): IpSlots & { count(ip: string): number; take(ip: string): () => void } {
  const perIp = new Map<string, number>()
  function take(ip: string): () => void {
    perIp.set(ip, (perIp.get(ip) ?? 0) + 1)
    let released = false
    return () => {
      if (released) return
      released = true
      const left = (perIp.get(ip) ?? 1) - 1
      if (left > 0) perIp.set(ip, left)
      else perIp.delete(ip)
    }
  }
  return {
    take,
    count: (ip) => perIp.get(ip) ?? 0,
    async acquire(ip) {
      return (perIp.get(ip) ?? 0) >= limit ? null : take(ip)
    },
    async close() {},
  }
}

export type RedisIpSlotsOptions = {
  redis: RedisConnection
  limit: number
  logger: Logger
  /** How often this gateway says it is alive (ms); it counts as gone after 3 missed beats. */
  heartbeatMs?: number
  /** Bound on the Redis round trip at upgrade time before counting locally instead (ms). */
  timeoutMs?: number
}

/**
 * Slots counted across every gateway on one Redis: a hash per IP holds each gateway's count, and a
 * sorted set the gateways' heartbeats, so the counts of a gateway that died stop counting within
 * three heartbeats. When Redis does not answer at upgrade time, the process's own count decides
 * (availability first), and that is logged once per outage.
 *
 * @example
 * const slots = createRedisIpSlots({ redis, limit: 50, logger })
 */
export function createRedisIpSlots({ redis, limit, logger, heartbeatMs = 5000, timeoutMs = 250 }: RedisIpSlotsOptions): IpSlots {
  const id = randomUUID()
  const local = createLocalIpSlots(limit)
  const log = logger.child({ module: 'ip-slots' })
  let degraded = false

  const beat = () => redis.command.zadd(redis.keys.gateways, Date.now(), id).catch(() => {})
  // Commands fail fast until the connection is ready (no offline queue): beat once it is, and after
  // every reconnect, so that this gateway's slots count on the others from its first upgrade on.
  const onReady = () => void beat()
  redis.command.on('ready', onReady)
  if (redis.connected()) void beat()
  const timer = setInterval(() => void beat(), heartbeatMs)
  timer.unref()

  function fallback(err: unknown): void {
    if (degraded) return
    degraded = true
    log.warn({ err }, 'redis unavailable at upgrade: counting connections per IP in this process only')
  }

  async function acquireShared(ip: string): Promise<boolean> {
    const args = [id, limit, Date.now(), heartbeatMs * 3, 86_400]
    const reply = await withTimeout(runScript(redis.command, 'cmwsAcquireIp', [redis.keys.ip(ip), redis.keys.gateways], args), timeoutMs)
    return reply === 1
  }

  return {
    async acquire(ip) {
      if (redis.connected()) {
        try {
          if (!(await acquireShared(ip))) return null
          if (degraded) log.info('redis back: counting connections per IP across gateways again')
          degraded = false
          const releaseLocal = local.take(ip)
          return () => {
            releaseLocal()
            runScript(redis.command, 'cmwsReleaseIp', [redis.keys.ip(ip)], [id]).catch((err: unknown) => log.debug({ err, ip }, 'releasing a shared IP slot failed'))
          }
        } catch (err) {
          fallback(err)
        }
      } else fallback(new Error('not connected'))
      return local.acquire(ip)
    },
    async close() {
      clearInterval(timer)
      redis.command.off('ready', onReady)
      await redis.command.zrem(redis.keys.gateways, id).catch(() => {})
    },
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)
    promise.then(
      (v) => (clearTimeout(timer), resolve(v)),
      (e: unknown) => (clearTimeout(timer), reject(e)),
    )
  })
}
