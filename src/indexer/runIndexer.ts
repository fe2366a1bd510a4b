import type { Logger } from 'pino'
import { createPublicClient, http, type Address, type PublicClient } from 'viem'
import { createChainFollower, type ChainFollower } from '../chain/chainFollower.js'
import { readTokenMetadata, readTotalSupply } from '../chain/tokenMetadata.js'
import type { ChainSettings } from '../config/networks.js'
import { FencedError, type Ledger, type Restored } from '../ledger/ledger.js'
import type { TokenMeta } from '../market/book.js'
import type { Metrics } from '../metrics/metrics.js'
import { createIndexer, createIndexerCounts, type Indexer, type IndexerCounts } from './indexer.js'
import type { Leadership, LeadershipStatus } from './leadership.js'
import type { MetadataReader } from './metadata.js'
import { riskReader, type RiskReaderOptions } from '../risk/reader.js'
import { followedContracts } from '../risk/tracking.js'
import type { StepOptions } from './step.js'
import { readUsdPairs } from './usdPairs.js'

export type RunIndexerOptions = {
  settings: ChainSettings
  ledger: Ledger
  /** With Redis: one of several indexers leads (the others wait). Null: this process indexes alone. */
  leadership: Leadership | null
  step: Omit<StepOptions, 'quotes'>
  logger: Logger
  startBlock?: bigint
  backfillBlocks: number
  maxBlockRange: number
  /** Histograms of `eth_getLogs` ranges and reorg depths. */
  metrics?: Metrics
  /** Launch intelligence's reads (with `step.risk`): history lookback, sell checks. */
  riskReading?: Omit<RiskReaderOptions, 'chain' | 'logger'>
}

export type IndexerStatus = {
  role: 'leader' | 'standby' | 'single'
  /** Indexing (alone or as the leader) and caught up with the chain since this term started. */
  ready: boolean
  fence: number | null
  network: string
  head: number | null
  processed: number | null
  /** Blocks between the head and the last processed block. */
  lag: number | null
  mode: string
  /** Started from a saved state (`warm`), or rebuilt from the chain (`cold`). */
  start: 'warm' | 'cold' | null
  launches: number
  trades: number
  alerts: number
  reorgs: number
  alertsByType: Readonly<Record<string, number>>
  tokens: number
  coreUsd: number | null
  /** `eth_getLogs` calls, and failed follower steps by kind (`range_limit`, `timeout`, …), since the process started. */
  getLogs: number
  rpcErrors: Readonly<Record<string, number>>
}

export type RunningIndexer = {
  stop(): Promise<void>
  /** This process indexes (alone, or as the leader) and has caught up with the chain. */
  ready(): boolean
  status(): IndexerStatus
}

/** Where to start reading and from which block on to publish. */
export type ReplayPlan = { startBlock: bigint; publishFrom: bigint }

/**
 * A first start (no saved state) publishes from `START_BLOCK` (or `BACKFILL_BLOCKS` behind the head)
 * and reads a day of blocks before that, silently, so the 24 h windows, recent launches and trades
 * are rebuilt.
 *
 * @example
 * replayPlan({ head: 1010n, dayBlocks: 100, backfillBlocks: 50 }) // { startBlock: 861n, publishFrom: 961n }
 */
export function replayPlan(p: { startBlock?: bigint; head: bigint; dayBlocks: number; backfillBlocks: number }): ReplayPlan {
  const max0 = (n: bigint) => (n < 0n ? 0n : n)
  const publishFrom = p.startBlock ?? max0(p.head + 1n - BigInt(p.backfillBlocks))
  return { startBlock: max0(publishFrom - BigInt(p.dayBlocks)), publishFrom }
}

function metadataReader(client: () => PublicClient): MetadataReader {
  return {
    async read({ full, supply }, block) {
      const out = new Map<string, TokenMeta>()
      await Promise.all([
        ...full.map(async (t) => out.set(t, await readTokenMetadata(client(), t as Address))),
        ...supply.map(async (t) => out.set(t, { name: null, symbol: null, decimals: 18, totalSupply: await readTotalSupply(client(), t as Address, block) })),
      ])
      return out
    },
  }
}

/** One stretch of indexing: from a saved state (or a rebuild) until stopped or fenced off. */
type Term = { indexer: Indexer; follower: ChainFollower; start: 'warm' | 'cold'; publishFrom: bigint | null; fenced: Promise<void> }

/** Counted across terms: what the indexer published and the follower's RPC use. */
type Totals = { indexer: IndexerCounts; getLogs: number; rpcErrors: Record<string, number> }

async function startTerm(options: RunIndexerOptions, totals: Totals, log: Logger): Promise<Term> {
  const { settings, ledger } = options
  const restored: Restored | null = await ledger.load()
  const quotes = { quoteTokens: settings.quoteTokens, usdTokens: settings.usdTokens }
  let plan: ReplayPlan | null = null
  if (!restored) {
    const head = await createPublicClient({ transport: http(settings.rpcUrl) }).getBlockNumber()
    plan = replayPlan({ startBlock: options.startBlock, head, dayBlocks: settings.dayBlocks, backfillBlocks: options.backfillBlocks })
  }
  let onFenced = () => {}
  const fenced = new Promise<void>((resolve) => (onFenced = resolve))
  const indexer = createIndexer(
    {
      ledger,
      // `follower` is defined below; metadata is read only once events flow.
      metadata: metadataReader(() => follower.client),
      ...(options.step.risk ? { risk: riskReader({ chain: () => follower, logger: log, historyBlocks: settings.dayBlocks, sellCheckBlocks: 20, sellChecksPerBlock: 8, ...options.riskReading }) } : {}),
      step: { ...options.step, quotes },
      logger: log,
      ...(plan ? { publishFrom: plan.publishFrom } : {}),
      ...(options.leadership ? { fence: () => options.leadership!.status().fence } : {}),
      counts: totals.indexer,
      ...(options.metrics ? { onReorg: (depth: number) => options.metrics!.reorgDepth.observe(depth) } : {}),
    },
    restored,
  )
  const follower = createChainFollower({
    rpcUrl: settings.rpcUrl,
    ...(settings.wsUrl ? { wsUrl: settings.wsUrl } : {}),
    dexes: settings.dexes,
    launchers: settings.launchers,
    finalityDepth: settings.finalityDepth,
    pollIntervalMs: settings.pollIntervalMs,
    ...(plan ? { startBlock: plan.startBlock } : {}),
    maxBlockRange: options.maxBlockRange,
    // Launch intelligence follows the `Transfer`s of launched tokens and their pairs (never of the quote tokens).
    ...(options.step.risk ? { transfers: { tracked: () => followedContracts(indexer.state), exclude: [...settings.quoteTokens, ...settings.usdTokens] } } : {}),
    // The indexer commits the position with each block; the follower only starts from it.
    checkpoint: { load: async () => restored?.position ?? null, save: async () => {} },
    logger: log,
    // Caught up: the state is complete, so a bus that has no numbering yet (a fresh Redis) gets one now,
    // with the read model, even if the chain is quiet.
    onCaughtUp: () => void ledger.start({ create: true }).catch((err: unknown) => log.warn({ err }, 'starting the bus numbering failed; the next commit does it')),
    onGetLogs(blocks) {
      totals.getLogs++
      options.metrics?.getLogsRange.observe(blocks)
    },
    onRpcError: (kind) => void (totals.rpcErrors[kind] = (totals.rpcErrors[kind] ?? 0) + 1),
    onEvents: (events, position) =>
      indexer.handle(events, position).catch((err: unknown) => {
        if (err instanceof FencedError) onFenced()
        throw err
      }),
  })
  if (!restored) for (const seed of await readUsdPairs(follower.client, settings)) indexer.seedPair(seed)
  await follower.start()
  const start = restored ? 'warm' : 'cold'
  log.info({ network: settings.network, start, from: restored ? restored.position.block.number + 1n : plan!.startBlock, publishFrom: plan?.publishFrom ?? null, coreUsd: indexer.stats().coreUsd }, 'following the chain')
  return { indexer, follower, start, publishFrom: plan?.publishFrom ?? null, fenced }
}

/**
 * Follows the configured chain and publishes the four channels: chain follower → indexer → ledger.
 * A start with a saved state continues right after its last committed block (no replay); a first
 * start rebuilds a day. With a leadership, it indexes only while it leads: a standby waits, takes
 * over within the lock's TTL when the leader dies, restores the state the leader committed, and
 * continues from its checkpoint; a leader that loses the lock stops at once.
 *
 * @example
 * const indexer = await runIndexer({ settings, ledger, leadership: null, step, logger, backfillBlocks: 1200, maxBlockRange: 2000 })
 */
export async function runIndexer(options: RunIndexerOptions): Promise<RunningIndexer> {
  const log = options.logger.child({ module: 'indexer' })
  const abort = new AbortController()
  const totals: Totals = { indexer: createIndexerCounts(), getLogs: 0, rpcErrors: {} }
  let term: Term | null = null
  let stopping: Promise<void> | null = null

  async function lead(leadership: Leadership): Promise<void> {
    while (!abort.signal.aborted) {
      await leadership.acquire(abort.signal)
      const stop = new AbortController()
      term = await startTerm(options, totals, log)
      await Promise.race([leadership.lost(AbortSignal.any([abort.signal, stop.signal])).catch(() => {}), term.fenced])
      stop.abort() // fenced: the renewal loop of this term ends too
      const ended = term
      term = null
      await ended.follower.stop()
      await leadership.resign()
      if (!abort.signal.aborted) log.warn('stepped down: another indexer leads; the state is reloaded from redis if this one leads again')
    }
  }

  if (options.leadership) {
    lead(options.leadership).catch((err: unknown) => {
      if (!abort.signal.aborted) log.fatal({ err }, 'the leadership loop failed')
    })
  } else term = await startTerm(options, totals, log)

  return {
    stop: () =>
      (stopping ??= (async () => {
        abort.abort()
        await term?.follower.stop()
        await options.leadership?.resign()
      })()),
    ready: () => term !== null && term.follower.status().caughtUp,
    status() {
      const lead: LeadershipStatus | null = options.leadership?.status() ?? null
      const f = term?.follower.status()
      const stats = term?.indexer.stats()
      const head = f?.head == null ? null : Number(f.head)
      const processed = f?.processed == null ? null : Number(f.processed)
      return {
        role: lead ? lead.role : 'single',
        ready: term !== null && term.follower.status().caughtUp,
        fence: lead?.fence ?? null,
        network: options.settings.network,
        head,
        processed,
        lag: head === null || processed === null ? null : Math.max(0, head - processed),
        mode: f?.mode ?? 'standby',
        start: term?.start ?? null,
        launches: totals.indexer.launches,
        trades: totals.indexer.trades,
        alerts: totals.indexer.alerts,
        reorgs: totals.indexer.reorgs,
        alertsByType: totals.indexer.alertsByType,
        tokens: stats?.tokens ?? 0,
        coreUsd: stats?.coreUsd ?? null,
        getLogs: totals.getLogs,
        rpcErrors: totals.rpcErrors,
      }
    },
  }
}
