import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import { sleep } from '../chain/errors.js'
import type { RedisConnection } from '../redis/connection.js'
import { runScript } from '../redis/scripts.js'

/** Who leads the indexing, for `/health`. */
export type LeadershipStatus = { role: 'leader' | 'standby'; fence: number | null; id: string }

/**
 * One leading indexer among several (Redis): a lock with a TTL that the leader renews every third
 * of it, and a fencing token issued with each new lead that every commit is checked against, so that
 * a leader that lost the lock (paused, partitioned) cannot publish afterwards.
 */
export type Leadership = {
  /** Waits until this indexer leads; resolves to its fencing token. */
  acquire(signal: AbortSignal): Promise<number>
  /** Renews while leading; resolves when the lead is lost (another indexer holds it). */
  lost(signal: AbortSignal): Promise<void>
  /** Gives the lead up (shutdown). */
  resign(): Promise<void>
  status(): LeadershipStatus
}

export type LeadershipOptions = { redis: RedisConnection; ttlMs: number; logger: Logger }

/**
 * @example
 * const lead = createLeadership({ redis, ttlMs: 10_000, logger })
 * const fence = await lead.acquire(signal)
 * void lead.lost(signal).then(stepDown)
 */
export function createLeadership({ redis, ttlMs, logger }: LeadershipOptions): Leadership {
  const id = randomUUID()
  const keys = [redis.keys.ix.leader, redis.keys.ix.fence]
  const log = logger.child({ module: 'leadership', id })
  let fence: number | null = null

  /**
   * Standbys poll at half the TTL. A Redis without a fence (a fresh deployment, or one that lost its
   * data) is taken only at the second look, so that a leader still alive takes its lead back first.
   */
  async function acquire(signal: AbortSignal): Promise<number> {
    let looked = false
    for (let announced = false; ; await sleep(ttlMs / 2, signal)) {
      try {
        if (!redis.connected()) continue
        const fresh = (await redis.command.exists(redis.keys.ix.fence)) === 0
        if (fresh && !looked) {
          looked = true
          continue
        }
        const token = Number(await runScript(redis.command, 'cmwsLead', keys, [id, ttlMs]))
        if (token > 0) {
          fence = token
          log.info({ fence }, 'leading the indexing')
          return token
        }
        if (!announced) log.info('another indexer leads; standing by')
        announced = true
      } catch (err) {
        log.debug({ err }, 'leadership check failed; retrying')
      }
    }
  }

  async function lost(signal: AbortSignal): Promise<void> {
    for (;;) {
      await sleep(ttlMs / 3, signal)
      try {
        if (!redis.connected()) continue // unknown: commits cannot pass either; retry
        if (Number(await runScript(redis.command, 'cmwsRenew', keys, [id, ttlMs, fence!])) === 1) continue
        log.warn({ fence }, 'lost the lead to another indexer; standing by')
        fence = null
        return
      } catch (err) {
        log.debug({ err }, 'renewing the lead failed; retrying')
      }
    }
  }

  return {
    acquire,
    lost,
    async resign() {
      if (fence === null) return
      fence = null
      await runScript(redis.command, 'cmwsResign', [redis.keys.ix.leader], [id]).catch((err: unknown) => log.debug({ err }, 'resigning failed'))
    },
    status: () => ({ role: fence === null ? 'standby' : 'leader', fence, id }),
  }
}
