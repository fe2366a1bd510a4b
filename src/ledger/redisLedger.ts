import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import { backoffDelay, sleep } from '../chain/errors.js'
import { CommitConflictError, commitToRedis, EpochChangedError, type RedisLimits } from '../redis/commit.js'
import type { RedisConnection } from '../redis/connection.js'
import { loadIndexerState, loadReadModel } from '../redis/indexerState.js'
import { reseedReadModel } from '../redis/reseed.js'
import type { MemoryStateStore } from '../state/memoryStateStore.js'
import { FencedError, type BlockCommit, type IndexerSnapshot, type Ledger } from './ledger.js'

export type RedisLedgerOptions = {
  redis: RedisConnection
  limits: RedisLimits
  /** The indexer's own copy of the read model: rebuilt from the chain, re-seeds Redis when needed. */
  mirror: MemoryStateStore
  logger: Logger
}

/** The numbering this ledger commits under; `seeded` while the read model in Redis equals the mirror. */
type Session = { epoch: string; commit: number; seeded: boolean }

/**
 * The ledger on Redis: each block is one Lua step (`cmwsCommit`) that writes the read model, the
 * indexer's state and checkpoint, and publishes — numbered by a commit counter, so that a retry after
 * a lost reply is recognised rather than applied twice, and checked against the leader's fencing
 * token. While Redis is unreachable, `commit` retries with backoff (the indexer stops reading the
 * chain meanwhile). Before its first commit, and whenever Redis lost its data (a new epoch), it
 * rewrites the read model from its mirror and the indexer's state from the indexer, so gateways never
 * serve an emptied state and a restart finds the state it left.
 *
 * @example
 * const ledger = createRedisLedger({ redis, limits, mirror: createMemoryStateStore({ … }), logger })
 */
export function createRedisLedger({ redis, limits, mirror, logger }: RedisLedgerOptions): Ledger {
  const log = logger.child({ module: 'ledger' })
  const abort = new AbortController()
  let session: Session | null = null
  let snapshot: (() => IndexerSnapshot) | null = null
  const published: Record<string, number> = {}
  let failingSince: number | null = null
  let failures = 0

  /**
   * Joins the bus's epoch, or — on a fresh or emptied Redis — creates it together with a read model
   * (and the indexer's state) written from this process (only a ledger creates epochs, so gateways
   * never see an epoch without its read model).
   */
  async function open(create: boolean): Promise<Session | null> {
    const existing = await redis.command.get(redis.keys.epoch)
    if (existing) return { epoch: existing, commit: Number((await redis.command.get(redis.keys.commit)) ?? 0), seeded: false }
    if (!create) return null
    const created = randomUUID()
    const dump = mirror.dump()
    const epoch = (await reseedReadModel(redis.command, redis.keys, limits, dump, { newEpoch: created, indexer: snapshot?.() })) ?? created
    log.info({ epoch, tokens: dump.tokens.size }, 'new bus epoch in redis, with the read model written from this indexer')
    return { epoch, commit: Number((await redis.command.get(redis.keys.commit)) ?? 0), seeded: epoch === created }
  }

  /** Before the first commit of a session: the read model becomes the mirror (rebuilt from the chain). */
  async function seed(s: Session, fence: number | undefined): Promise<void> {
    if (s.seeded) return
    // Only the leader rewrites the read model (a best-effort check; its commits are fenced atomically).
    if (fence !== undefined) {
      const current = await redis.command.get(redis.keys.ix.fence)
      if (current === null) throw new Error('the leadership is being restored (Redis lost its data); retrying')
      if (current !== String(fence)) throw new FencedError('another indexer leads (fencing token changed)')
    }
    const dump = mirror.dump()
    await reseedReadModel(redis.command, redis.keys, limits, dump)
    s.seeded = true
    log.info({ tokens: dump.tokens.size }, 'read model written to redis from this indexer; publishing')
  }

  async function attempt(block: BlockCommit): Promise<void> {
    abort.signal.throwIfAborted()
    await redis.ready(abort.signal)
    session ??= await open(true)
    await seed(session!, block.indexer?.fence)
    const number = session!.commit + 1
    await commitToRedis(redis.command, redis.keys, limits, { epoch: session!.epoch, commit: number, ...block, publishedAt: Date.now() })
    session!.commit = number
  }

  function failed(err: unknown): void {
    failures++
    if (err instanceof EpochChangedError || err instanceof CommitConflictError) {
      session = null
      if (err instanceof EpochChangedError) log.warn('redis lost the bus (new epoch): rewriting the read model and publishing under the new epoch')
      else log.error({ err }, 'another writer commits to this REDIS_PREFIX: run one leading indexer per prefix; re-reading the commit counter')
      return
    }
    if (failingSince !== null) return
    failingSince = Date.now()
    log.warn({ err }, 'redis commit failed; holding this block and retrying (the chain is not read meanwhile)')
  }

  return {
    async start({ create = false } = {}) {
      await redis.ready(abort.signal)
      session ??= await open(create)
    },
    async load() {
      await redis.ready(abort.signal)
      const restored = await loadIndexerState(redis.command, redis.keys)
      if (restored) mirror.restore(await loadReadModel(redis.command, redis.keys))
      // A new term: another indexer may have committed since this session was opened (a standby
      // joins at start-up). Re-read the commit counter, or this term's first commits would pass for
      // retries of those (`DUP`) and be skipped.
      session = await open(false)
      if (session) session.seeded = restored !== null
      return restored
    },
    attach(read) {
      snapshot = read
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
          if (abort.signal.aborted || err instanceof FencedError) throw err
          failed(err)
          await sleep(err instanceof EpochChangedError ? 0 : backoffDelay(failures, 100, 2000), abort.signal)
        }
      }
      mirror.apply(block.delta)
      for (const { channel } of block.publications) published[channel] = (published[channel] ?? 0) + 1
      if (failingSince !== null) log.info({ outageMs: Date.now() - failingSince, attempts: failures }, 'redis commits resumed; nothing skipped')
      failingSince = null
      failures = 0
    },
    status: () => ({ epoch: session?.epoch ?? null, commits: session?.commit ?? 0, published }),
    async close() {
      abort.abort()
    },
  }
}
