import { createAlertEngine, type AlertMemory } from '../alerts/engine.js'
import type { AlertThresholds } from '../alerts/rules.js'
import type { BlockEvent } from '../chain/events.js'
import { coreUsdOf, priceItemOf, type TokenMeta } from '../market/book.js'
import type { QuoteConfig } from '../market/pairs.js'
import { expiredCount, type Bucket } from '../market/tokenMarket.js'
import type { AlertItem, HolderRow, PriceItem, RiskItem, TokenItem, TradeItem } from '../protocol/items.js'
import { beginRisk, endRisk, NO_RISK_INPUTS, type RiskInputs, type RiskOptions } from '../risk/blockRisk.js'
import { forgetIdle, onTransfer } from '../risk/tracking.js'
import { onBurn, onMint, onPairCreated, onSwap, onSync, type BlockScratch, type LogContext } from './blockLogs.js'
import { bucketKey, type IndexerState } from './state.js'
import type { ChangeSet } from './tables.js'

export type StepOptions = {
  quotes: QuoteConfig
  thresholds: AlertThresholds
  /** Re-send a quiet token's price when CORE/USD moved by more than this (%) since its last price item. */
  repricePercent: number
  /** Launch intelligence (needs the follower's `Transfer`s of followed tokens); off without it. */
  risk?: RiskOptions
}

/** What one block produced: the channels' items, and the read model's bucket changes. */
export type BlockResult = {
  tokens: TokenItem[]
  trades: TradeItem[]
  prices: PriceItem[]
  alerts: AlertItem[]
  /** Followed launches whose risk figures changed, and their largest holders now. */
  risk: RiskItem[]
  holders: { token: string; rows: HolderRow[] }[]
  /** Buckets written (`bucket`) or removed (null), by token and minute. */
  buckets: { token: string; minute: number; bucket: Bucket | null }[]
  /** Everything the block changed in the tables (its undo, for a reorg; its keys, for a store). */
  changes: ChangeSet
}

/** How often (block time, s) buckets older than a day are evicted across every token. */
const SWEEP_SECONDS = 60

/** The alert engine's memory in the state's tables (cooldowns, burns): a reorg puts it back too. */
function tableMemory(state: IndexerState): AlertMemory {
  const { store } = state
  return {
    lastFired: (key) => store.get('cooldowns', key),
    fired: (key, timestamp) => store.set('cooldowns', key, timestamp),
    burns: (pair) => store.get('burns', pair) ?? [],
    setBurns: (pair, list) => store.set('burns', pair, list),
  }
}

/**
 * The indexer's one step: a block and its decoded logs change the state and produce the block's
 * items. No I/O: the metadata of new tokens is read before (`meta`). Every change goes through the
 * tables, so the result carries the block's undo.
 *
 * @example
 * const result = applyBlock(state, event, metaOfNewTokens, { quotes, thresholds, repricePercent: 0.5 })
 */
export function applyBlock(state: IndexerState, event: BlockEvent, meta: ReadonlyMap<string, TokenMeta>, options: StepOptions, inputs: RiskInputs = NO_RISK_INPUTS): BlockResult {
  const { store } = state
  store.begin()
  const block: BlockScratch = { number: Number(event.block.number), timestamp: Number(event.block.timestamp), tokens: [], trades: [], alerts: [], touched: new Set() }
  const memory = tableMemory(state)
  const risk = options.risk ? { options: options.risk, scratch: beginRisk(state, event, options.quotes, inputs, meta) } : undefined
  const ctx: LogContext = { state, quotes: options.quotes, meta, engine: createAlertEngine(options.thresholds, memory), block, ...(risk ? { risk } : {}) }
  sweep(state, block.timestamp, options.risk)
  for (const log of event.logs) {
    if (log.kind === 'tokenCreated') store.set('creators', log.token, log.creator)
    else if (log.kind === 'pairCreated') onPairCreated(ctx, log)
    else if (log.kind === 'sync') onSync(ctx, log)
    else if (log.kind === 'swap') onSwap(ctx, log)
    else if (log.kind === 'burn') onBurn(ctx, log)
    else if (log.kind === 'mint') onMint(ctx, log)
    else if (risk) onTransfer(state, risk.scratch, log, block.timestamp)
  }
  const published = risk ? endRisk(state, risk.scratch, risk.options, memory, block, block.tokens) : { items: [], holders: [], alerts: [] }
  block.alerts.push(...published.alerts)
  const prices = [...block.touched].flatMap((token) => priceOf(state, token, block.timestamp) ?? [])
  for (const token of block.touched) {
    const market = state.markets.get(token)
    if (market) block.alerts.push(...ctx.engine.onMarketMoved({ address: token, symbol: store.get('meta', token)?.symbol ?? null }, market, block.timestamp, `${token}:${block.number}`))
  }
  prices.push(...reprice(state, block.touched, block.timestamp, options.repricePercent))
  store.set('clock', 'now', block.timestamp)
  const changes = store.end()
  return { tokens: block.tokens, trades: block.trades, prices, alerts: block.alerts, risk: published.items, holders: published.holders, buckets: bucketChanges(state, changes), changes }
}

/** A token's price item now, remembering the CORE/USD it was priced at. */
export function priceOf(state: IndexerState, token: string, now: number): PriceItem | null {
  const usd = coreUsdOf(state.view)
  const item = priceItemOf(state.view, token, state.markets.get(token) ?? { buckets: [] }, now, usd)
  if (item) state.store.set('priced', token, usd)
  return item
}

/**
 * Quiet tokens whose USD figures went stale: CORE/USD moved by more than `percent` since their last
 * price item (or became known). At most once per block, all in the block's `prices` message.
 */
function reprice(state: IndexerState, skip: ReadonlySet<string>, now: number, percent: number): PriceItem[] {
  const usd = coreUsdOf(state.view)
  if (usd === null || usd === state.store.get('clock', 'usd')) return []
  state.store.set('clock', 'usd', usd)
  const stale = [...state.store.tables.priced].filter(([token, at]) => !skip.has(token) && (at === null || Math.abs(usd / at - 1) * 100 > percent))
  return stale.flatMap(([token]) => priceOf(state, token, now) ?? [])
}

/** Evicts buckets older than a day before `now`, every token, and idle followed tokens, once per minute of block time. */
function sweep(state: IndexerState, now: number, risk: RiskOptions | undefined): void {
  if (now - (state.store.get('clock', 'sweep') ?? 0) < SWEEP_SECONDS) return
  state.store.set('clock', 'sweep', now)
  if (risk) forgetIdle(state, risk, now)
  for (const [token, market] of state.markets) {
    const drop = expiredCount(market.buckets, now)
    for (const b of market.buckets.slice(0, drop)) state.store.remove('buckets', bucketKey(token, b.minute))
  }
}

/** The read model's bucket changes: every bucket row a change set touched, as it is now. */
export function bucketChanges(state: IndexerState, changes: ChangeSet): BlockResult['buckets'] {
  return [...(changes.touched.get('buckets') ?? [])].map((key) => {
    const cut = key.lastIndexOf('|')
    return { token: key.slice(0, cut), minute: Number(key.slice(cut + 1)), bucket: state.store.get('buckets', key) ?? null }
  })
}
