import type { AlertEngine } from '../alerts/engine.js'
import type { TradeFact } from '../alerts/rules.js'
import type { BurnLog, MintLog, PairCreatedLog, SwapLog, SyncLog } from '../chain/events.js'
import { coreUsdOf, deepestPool, poolOf, type Role, type TokenMeta } from '../market/book.js'
import { pairRole, type QuoteConfig } from '../market/pairs.js'
import { classifySwap } from '../market/swap.js'
import { minuteOf, pricedBucket, tradedBucket, type Bucket } from '../market/tokenMarket.js'
import { round, toDecimalString, toNumber } from '../market/units.js'
import type { AlertItem, TokenItem, TradeItem } from '../protocol/items.js'
import type { RiskOptions } from '../risk/blockRisk.js'
import { markLaunch, onTokenSwap, type RiskScratch } from '../risk/tracking.js'
import { bucketKey, type IndexerState, type TokenInfo } from './state.js'

/** What the logs of one block produced so far. */
export type BlockScratch = {
  number: number
  timestamp: number
  tokens: TokenItem[]
  trades: TradeItem[]
  alerts: AlertItem[]
  /** Tokens whose market moved: their price item is published with the block. */
  touched: Set<string>
}

export type LogContext = {
  state: IndexerState
  quotes: QuoteConfig
  /** Metadata read for this block's new tokens (before the step: the step does no I/O). */
  meta: ReadonlyMap<string, TokenMeta>
  engine: AlertEngine
  block: BlockScratch
  /** Launch intelligence, when on: what the block's logs told about followed tokens. */
  risk?: { options: RiskOptions; scratch: RiskScratch }
}

const UNKNOWN: TokenMeta = { name: null, symbol: null, decimals: 18, totalSupply: null }

/** A pair's role, decided (and remembered) the first time one of its logs is seen. */
export function roleOf(ctx: LogContext, p: { pair: string; token0: string; token1: string; dex: string }): Role {
  const known = ctx.state.store.get('roles', p.pair)
  if (known) return known
  const role: Role = { ...pairRole(p.token0 as never, p.token1 as never, ctx.quotes), dex: p.dex }
  ctx.state.store.set('roles', p.pair, role)
  if (role.kind === 'usd') registerMeta(ctx, role.stable)
  return role
}

/** A token's metadata: known, or read for this block (new tokens; a fresh `totalSupply` for a known one). */
function registerMeta(ctx: LogContext, token: string): TokenInfo {
  const known = ctx.state.store.get('meta', token)
  const read = ctx.meta.get(token)
  if (known && (!read || known.supplyBlock >= ctx.block.number)) return known
  // A supply that could not be read again (a node without that block's state) keeps the last one.
  const info: TokenInfo = known ? { ...known, totalSupply: read!.totalSupply ?? known.totalSupply, supplyBlock: ctx.block.number } : { ...(read ?? UNKNOWN), supplyBlock: ctx.block.number }
  ctx.state.store.set('meta', token, info)
  return info
}

/** The token a token/CORE pair quotes, registered with its metadata and this pair; null for other pairs. */
function tokenOf(ctx: LogContext, p: { pair: string; token0: string; token1: string; dex: string }): { token: string; role: Extract<Role, { kind: 'token' }>; meta: TokenInfo } | null {
  const role = roleOf(ctx, p)
  if (role.kind !== 'token') return null
  const meta = registerMeta(ctx, role.token)
  const pairs = ctx.state.store.get('pairsOf', role.token) ?? []
  if (!pairs.includes(p.pair)) ctx.state.store.set('pairsOf', role.token, [...pairs, p.pair])
  return { token: role.token, role, meta }
}

function addInsider(ctx: LogContext, token: string, address: string): void {
  const insiders = ctx.state.store.get('insiders', token) ?? []
  if (!insiders.includes(address)) ctx.state.store.set('insiders', token, [...insiders, address])
}

/** Rewrites the token's bucket of the minute `timestamp` belongs to (late records join the newest bucket). */
function updateBucket(ctx: LogContext, token: string, change: (current: Bucket | undefined, previous: Bucket | undefined, minute: number) => Bucket): void {
  const buckets = ctx.state.markets.get(token)?.buckets ?? []
  const minute = Math.max(minuteOf(ctx.block.timestamp), buckets.at(-1)?.minute ?? 0)
  const key = bucketKey(token, minute)
  ctx.state.store.set('buckets', key, change(ctx.state.store.get('buckets', key), buckets.findLast((b) => b.minute < minute), minute))
}

export function onPairCreated(ctx: LogContext, log: PairCreatedLog): void {
  const found = tokenOf(ctx, log)
  if (!found) return
  const { store } = ctx.state
  addInsider(ctx, found.token, store.get('creators', found.token) ?? log.from)
  if (store.get('launched', found.token) || [...store.tables.pending.values()].some((p) => p.token === found.token)) return
  store.set('pending', log.pair, { token: found.token, blockNumber: Number(log.blockNumber), txHash: log.txHash, from: log.from, dex: log.dex, timestamp: ctx.block.timestamp })
}

/** The first liquidity of a pending pair: the launch. */
export function onMint(ctx: LogContext, log: MintLog): void {
  const { store } = ctx.state
  const launch = store.get('pending', log.pair)
  const found = launch && tokenOf(ctx, log)
  if (!launch || !found) return
  store.remove('pending', log.pair)
  store.set('launched', found.token, log.pair)
  addInsider(ctx, found.token, log.from)
  markLaunch(ctx.state, found.token, log.pair, ctx.block.number)
  const m = found.meta
  const core = toNumber(found.role.tokenIndex === 0 ? log.amount1 : log.amount0, 18)
  const usd = coreUsdOf(ctx.state.view)
  ctx.block.tokens.push({
    address: found.token,
    name: m.name,
    symbol: m.symbol,
    totalSupply: m.totalSupply === null ? null : toDecimalString(m.totalSupply, m.decimals),
    creator: store.get('creators', found.token) ?? launch.from,
    pairAddress: log.pair,
    initialLiquidity: toDecimalString(found.role.tokenIndex === 0 ? log.amount1 : log.amount0, 18),
    timestamp: launch.timestamp,
    blockNumber: launch.blockNumber,
    txHash: launch.txHash,
    dex: launch.dex,
    decimals: m.decimals,
    // Both sides of the pool, in USD (what `minLiquidityUsd` compares); null while CORE/USD is unknown.
    initialLiquidityUsd: usd === null ? null : round(2 * core * usd),
  })
}

export function onSync(ctx: LogContext, log: SyncLog): void {
  const role = roleOf(ctx, log)
  if (role.kind === 'other') return
  ctx.state.store.set('reserves', log.pair, [log.reserve0, log.reserve1])
  const found = tokenOf(ctx, log)
  const pool = found && deepestPool(ctx.state.view, found.token)
  if (!found || !pool) return
  const usd = coreUsdOf(ctx.state.view)
  updateBucket(ctx, found.token, (current, previous, minute) => pricedBucket(current, previous, minute, pool.priceCore, usd))
  ctx.block.touched.add(found.token)
}

export function onSwap(ctx: LogContext, log: SwapLog): void {
  const found = tokenOf(ctx, log)
  if (!found) return
  const swap = classifySwap(log, found.role.tokenIndex, found.meta.decimals)
  if (!swap) return
  const usd = coreUsdOf(ctx.state.view)
  const valueUsd = usd === null ? null : round(swap.core * usd)
  const trade: TradeItem = {
    txHash: log.txHash,
    tokenAddress: found.token,
    tokenSymbol: found.meta.symbol,
    trader: log.from,
    type: swap.type,
    amountToken: swap.amountToken,
    amountCore: swap.amountCore,
    price: swap.price,
    timestamp: ctx.block.timestamp,
    blockNumber: Number(log.blockNumber),
    dex: log.dex,
    logIndex: log.logIndex,
    pairAddress: log.pair,
    priceUsd: usd === null ? null : round(swap.price * usd),
    valueUsd,
  }
  ctx.block.trades.push(trade)
  if (ctx.risk) onTokenSwap(ctx.state, ctx.risk.scratch, ctx.risk.options, { token: found.token, type: swap.type, to: log.to, txHash: log.txHash, block: ctx.block.number })
  updateBucket(ctx, found.token, (current, previous, minute) => tradedBucket(current, previous, minute, swap.type, swap.core, valueUsd))
  ctx.block.touched.add(found.token)
  ctx.block.alerts.push(...ctx.engine.onTrade(tradeFact(ctx, found, log, trade, swap.core)))
}

function tradeFact(ctx: LogContext, found: { token: string; meta: TokenInfo }, log: SwapLog, trade: TradeItem, core: number): TradeFact {
  const after = poolOf(ctx.state.view, log.pair, found.meta.decimals)?.coreReserve ?? 0
  const amountToken = Number(trade.amountToken)
  const supply = found.meta.totalSupply === null ? null : toNumber(found.meta.totalSupply, found.meta.decimals)
  const insider = trade.type === 'sell' && (ctx.state.store.get('insiders', found.token) ?? []).includes(log.from) && supply ? (amountToken / supply) * 100 : null
  return {
    token: { address: found.token, symbol: found.meta.symbol },
    txHash: log.txHash,
    logIndex: log.logIndex,
    trader: log.from,
    type: trade.type,
    amountToken,
    amountCore: core,
    valueUsd: trade.valueUsd ?? null,
    poolCore: trade.type === 'buy' ? after - core : after + core,
    timestamp: trade.timestamp,
    insiderSupplyPercent: insider,
  }
}

export function onBurn(ctx: LogContext, log: BurnLog): void {
  const found = tokenOf(ctx, log)
  if (!found) return
  const core = toNumber(found.role.tokenIndex === 0 ? log.amount1 : log.amount0, 18)
  const after = poolOf(ctx.state.view, log.pair, found.meta.decimals)?.coreReserve ?? 0
  if (core + after <= 0) return
  const usd = coreUsdOf(ctx.state.view)
  ctx.block.alerts.push(
    ...ctx.engine.onBurn({
      token: { address: found.token, symbol: found.meta.symbol },
      pair: log.pair,
      txHash: log.txHash,
      logIndex: log.logIndex,
      wallet: log.from,
      percent: (core / (core + after)) * 100,
      valueUsd: usd === null ? null : round(2 * core * usd),
      timestamp: ctx.block.timestamp,
    }),
  )
}
