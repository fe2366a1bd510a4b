import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import { backoffDelay, sleep } from '../chain/errors.js'
import { CommitConflictError, commitToRedis, EpochChangedError, type RedisLimits } from '../redis/commit.js'
import type { RedisConnection } from '../redis/connection.js'
import { reseedReadModel } from '../redis/reseed.js'
import type { MemoryStateStore } from '../state/memoryStateStore.js'
import type { BlockCommit, Ledger } from './ledger.js'

export type RedisLedgerOptions = {
  redis: RedisConnection
  limits: RedisLimits
  /** The indexer's own copy of the read model: rebuilt from the chain, re-seeds Redis when needed. */
  mirror: MemoryStateStore
  logger: Logger
}

/**
 * The ledger on Redis: each block is one Lua step (`cmwsCommit`) that writes the read model and
 * publishes, numbered by a commit counter so that a retry after a lost reply is recognised rather
 * than applied twice. While Redis is unreachable, `commit` retries with backoff (the indexer stops
 * reading the chain meanwhile). Before its first commit, and whenever Redis lost its data (a new
 * epoch), it re-seeds the read model from its mirror, so gateways never serve an emptied state.
 *
 * @example
 * const ledger = createRedisLedger({ redis, limits, mirror: createMemoryStateStore({ … }), logger })
 */
export function createRedisLedger({ redis, limits, mirror, logger }: RedisLedgerOptions): Ledger {
  const log = logger.child({ module: 'ledger' })
  const abort = new AbortController()
  /** The numbering this ledger commits under; `seeded` while the read model in Redis equals the mirror. */
  let session: { epoch: string; commit: number; seeded: boolean } | null = null
  let failingSince: number | null = null
  let failures = 0

  /**
   * Joins the bus's epoch, or — on a fresh or emptied Redis — creates it together with a read model
   * written from the mirror (only a ledger creates epochs, so gateways never see an epoch without
   * its read model).
   */
  async function open(): Promise<{ epoch: string; commit: number; seeded: boolean }> {
    const existing = await redis.command.get(redis.keys.epoch)
    if (existing) return { epoch: existing, commit: Number((await redis.command.get(redis.keys.commit)) ?? 0), seeded: false }
    const created = randomUUID()
    const dump = mirror.dump()
    const epoch = (await reseedReadModel(redis.command, redis.keys, limits, dump, created)) ?? created
    log.info({ epoch, tokens: dump.tokens.size }, 'new bus epoch in redis, with the read model written from this indexer')
    return { epoch, commit: Number((await redis.command.get(redis.keys.commit)) ?? 0), seeded: epoch === created }
  }

  /** Before the first commit of a session: the read model becomes the mirror (rebuilt from the chain). */
  async function seed(s: { seeded: boolean }): Promise<void> {
    if (s.seeded) return
    const dump = mirror.dump()
    await reseedReadModel(redis.command, redis.keys, limits, dump)
    s.seeded = true
    log.info({ tokens: dump.tokens.size }, 'read model written to redis from this indexer; publishing')
  }

  async function attempt(block: BlockCommit): Promise<void> {
    abort.signal.throwIfAborted()
    await redis.ready(abort.signal)
    session ??= await open()
    await seed(session)
    const number = session.commit + 1
    await commitToRedis(redis.command, redis.keys, limits, { epoch: session.epoch, commit: number, ...block, publishedAt: Date.now() })
    session.commit = number
  }

  function failed(err: unknown): void {
    failures++
    if (err instanceof EpochChangedError) {
      session = null
      log.warn('redis lost the bus (new epoch): re-seeding the read model and publishing under the new epoch')
      return
    }
    if (err instanceof CommitConflictError) {
      session = null
      log.error({ err }, 'another writer commits to this REDIS_PREFIX: run one indexer per prefix; re-reading the commit counter')
      return
    }
    if (failingSince !== null) return
    failingSince = Date.now()
    log.warn({ err }, 'redis commit failed; holding this block and retrying (the chain is not read meanwhile)')
  }

  return {
    async start() {
      await redis.ready(abort.signal)
      session ??= await open()
    },
    rebuild(delta) {
      mirror.apply(delta)
      if (session) session.seeded = false
    },
    async commit(block) {
      for (;;) {
        try {
          await attempt(block)
          break
        } catch (err) {
          if (abort.signal.aborted) throw err
          failed(err)
          await sleep(err instanceof EpochChangedError ? 0 : backoffDelay(failures, 100, 2000), abort.signal)
        }
      }
      mirror.apply(block.delta)
      if (failingSince !== null) log.info({ outageMs: Date.now() - failingSince, attempts: failures }, 'redis commits resumed; nothing skipped')
      failingSince = null
      failures = 0
    },
    status: () => ({ epoch: session?.epoch ?? null, commits: session?.commit ?? 0 }),
    async close() {
      abort.abort()
    },
  }
}
