import type { Logger } from 'pino'
import type { Checkpoint } from '../chain/checkpoint.js'
import type { BlockEvent, ChainEvent, ReorgEvent } from '../chain/events.js'
import type { IndexerSnapshot, IndexerWrite, Ledger, Restored, RowChange } from '../ledger/ledger.js'
import { coreUsdOf } from '../market/book.js'
import { pairRole } from '../market/pairs.js'
import { emptyDelta } from '../state/stateStore.js'
import { blockCommit, reorgCommit } from './blockCommit.js'
import { NO_RISK_INPUTS } from '../risk/blockRisk.js'
import type { RiskReader } from '../risk/reader.js'
import { tokensToRead, type MetadataReader } from './metadata.js'
import { undoBlocks, type BlockRecord } from './reorg.js'
import { createIndexerState, dumpState, loadState, type IndexerState, type StateTables } from './state.js'
import { applyBlock, type StepOptions } from './step.js'
import { encodeJson, type ChangeSet } from './tables.js'

export type IndexerOptions = {
  /** Where each block's publications, read-model changes and indexer state are committed, together. */
  ledger: Ledger
  metadata: MetadataReader
  /** Reads what launch intelligence needs before a block (with `step.risk`). */
  risk?: RiskReader
  step: StepOptions
  logger: Logger
  /**
   * Blocks before this one rebuild the state (market windows, launches, trades, cooldowns) without
   * publishing: they predate the first start.
   */
  publishFrom?: bigint
  /** The leader's fencing token, checked by every commit (Redis); null when not leading. */
  fence?: () => number | null
  /** A reorg removed this many blocks (metrics). */
  onReorg?: (depth: number) => void
  /** Where to count what it published (kept across leadership terms); a new object by default. */
  counts?: IndexerCounts
}

/** What the indexer published (launches, trades, alerts by type) and the reorgs it handled. */
export type IndexerCounts = { launches: number; trades: number; alerts: number; reorgs: number; alertsByType: Record<string, number> }

export function createIndexerCounts(): IndexerCounts {
  return { launches: 0, trades: 0, alerts: 0, reorgs: 0, alertsByType: {} }
}

/** A CORE/USD pair's reserves read at start, before its next `Sync` (a first start). */
export type SeedPair = { pair: string; token0: string; token1: string; dex: string; reserve0: bigint; reserve1: bigint; decimals: number | null }

export type Indexer = {
  readonly state: IndexerState
  /** Applies one batch of chain events (the follower awaits it); `position` is where the follower stands after it. */
  handle(events: readonly ChainEvent[], position: Checkpoint): Promise<void>
  /** Records a pair's reserves read at start (the CORE/USD pairs of a first start). */
  seedPair(seed: SeedPair): void
  /** Everything the indexer holds: for a store that lost it, or a snapshot file. */
  snapshot(): IndexerSnapshot
  /** The last committed position (null before the first). */
  position(): Checkpoint | null
  stats(): { launches: number; trades: number; alerts: number; reorgs: number; alertsByType: Readonly<Record<string, number>>; tokens: number; coreUsd: number | null }
}

/** The indexer as a value: its state, the records of its unfinalized blocks, where it stands. */
type Run = {
  options: IndexerOptions
  state: IndexerState
  records: Map<number, BlockRecord>
  position: Checkpoint | null
  /** Blocks up to here are final: their records go with the next commit. */
  finalized: number | null
  counts: IndexerCounts
}

/** The rows a change set touched, as they are now (text; null: removed). */
function rowsOf(state: IndexerState, changes: ChangeSet): RowChange[] {
  const rows: RowChange[] = []
  for (const [table, keys] of changes.touched) {
    for (const key of keys) {
      const value = state.store.get(table as keyof StateTables, key)
      rows.push([table as keyof StateTables, key, value === undefined ? null : encodeJson(value)])
    }
  }
  return rows
}

/** The follower's position after one block of a batch: that block, and the window up to it. */
function positionAt(position: Checkpoint, block: BlockEvent['block']): Checkpoint {
  return { block: { number: block.number, hash: block.hash }, window: position.window.filter((b) => b.number <= block.number) }
}

function indexerWrite(run: Run, position: Checkpoint, changes: Omit<IndexerWrite, 'position' | 'fence'>): IndexerWrite {
  const fence = run.options.fence?.()
  const finalized = run.finalized
  run.finalized = null
  return { position, ...changes, ...(finalized !== null ? { finalized } : {}), ...(fence != null ? { fence } : {}) }
}

async function onBlock(run: Run, event: BlockEvent, batch: Checkpoint): Promise<void> {
  const { ledger, metadata, step } = run.options
  const number = Number(event.block.number)
  const meta = await metadata.read(tokensToRead(run.state, event, step.quotes), event.block.number)
  const inputs = step.risk && run.options.risk ? await run.options.risk.read(run.state, event, step.quotes) : NO_RISK_INPUTS
  const result = applyBlock(run.state, event, meta, step, inputs)
  const { commit, retract, texts } = blockCommit(result)
  const position = positionAt(batch, event.block)
  run.position = position
  if (event.block.number < (run.options.publishFrom ?? 0n)) {
    run.records.set(number, { number, undo: result.changes.undo, retract: { tokens: [], trades: [], alerts: [], alertIds: [] }, texts })
    return ledger.rebuild(commit.delta)
  }
  const record: BlockRecord = { number, undo: result.changes.undo, retract, texts }
  run.records.set(number, record)
  await ledger.commit({ ...commit, indexer: indexerWrite(run, position, { rows: rowsOf(run.state, result.changes), record }) })
  run.counts.launches += result.tokens.length
  run.counts.trades += result.trades.length
  run.counts.alerts += result.alerts.length
  for (const a of result.alerts) run.counts.alertsByType[a.type] = (run.counts.alertsByType[a.type] ?? 0) + 1
}

async function onReorg(run: Run, event: ReorgEvent, position: Checkpoint): Promise<void> {
  const ancestor = Number(event.commonAncestor.number)
  const removed = [...run.records.values()].filter((r) => r.number > ancestor).sort((a, b) => b.number - a.number)
  for (const r of removed) run.records.delete(r.number)
  const undone = undoBlocks(run.state, removed)
  const range = { fromBlock: ancestor + 1, toBlock: Number(event.removed[0]?.number ?? ancestor + 1) }
  run.position = position
  await run.options.ledger.commit({ ...reorgCommit(undone, range), indexer: indexerWrite(run, position, { rows: rowsOf(run.state, undone.changes), dropRecordsAbove: ancestor }) })
  run.counts.reorgs++
  run.options.onReorg?.(removed.length)
  const { retract } = undone
  run.options.logger.warn({ ...range, tokens: retract.tokens.length, trades: retract.trades.length, alerts: retract.alertIds.length, prices: undone.prices.length }, 'chain reorganisation: delivered items retracted, prices corrected')
}

/** The end of a batch: the position moves on even where no block had logs (a restart continues from there). */
async function onHead(run: Run, position: Checkpoint): Promise<void> {
  if (position.block.number < (run.options.publishFrom ?? 0n) - 1n) return
  if (run.position?.block.hash === position.block.hash && run.finalized === null) return
  run.position = position
  await run.options.ledger.commit({ publications: [], delta: emptyDelta(), indexer: indexerWrite(run, position, { rows: [] }) })
}

function onFinalize(run: Run, block: bigint): void {
  for (const n of run.records.keys()) if (n <= Number(block)) run.records.delete(n)
  run.finalized = Number(block)
}

/**
 * Turns chain events into the four channels — launches (`tokens`), swaps (`trades`), per-token
 * market stats (`prices`) and `alerts`, one bus message per channel per block — through one pure
 * step per block (`step.ts`), and commits each block with its read-model changes, its table rows and
 * its position. Reorgs undo the removed blocks exactly and re-price what they touched.
 *
 * @example
 * const indexer = createIndexer({ ledger, metadata, step, logger }, restored)
 * createChainFollower({ …, onEvents: indexer.handle })
 */
export function createIndexer(options: IndexerOptions, restored: Restored | null = null): Indexer {
  const run: Run = {
    options,
    state: restored ? loadState(restored.rows) : createIndexerState(),
    records: new Map((restored?.records ?? []).map((r) => [r.number, r])),
    position: restored?.position ?? null,
    finalized: null,
    counts: options.counts ?? createIndexerCounts(),
  }
  const snapshot = (): IndexerSnapshot => ({ position: run.position, rows: dumpState(run.state), records: [...run.records.values()] })
  options.ledger.attach(snapshot)
  return {
    state: run.state,
    async handle(events, position) {
      for (const event of events) {
        if (event.kind === 'block') await onBlock(run, event, position)
        else if (event.kind === 'reorg') await onReorg(run, event, position)
        else if (event.kind === 'finalize') onFinalize(run, event.block.number)
        else await onHead(run, position)
      }
    },
    seedPair(seed) {
      const { store } = run.state
      const role = { ...pairRole(seed.token0 as never, seed.token1 as never, options.step.quotes), dex: seed.dex }
      store.set('roles', seed.pair, role)
      if (role.kind === 'usd' && seed.decimals !== null) store.set('meta', role.stable, { name: null, symbol: null, decimals: seed.decimals, totalSupply: null, supplyBlock: 0 })
      if (role.kind !== 'other') store.set('reserves', seed.pair, [seed.reserve0, seed.reserve1])
    },
    snapshot,
    position: () => run.position,
    stats: () => ({ ...run.counts, tokens: run.state.store.tables.pairsOf.size, coreUsd: coreUsdOf(run.state.view) }),
  }
}
