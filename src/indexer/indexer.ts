import type { Logger } from 'pino'
import type { Address } from 'viem'
import { createAlertEngine } from '../alerts/engine.js'
import type { AlertThresholds, TradeFact } from '../alerts/rules.js'
import type { Bus } from '../bus/bus.js'
import type { BlockEvent, BurnLog, ChainEvent, DecodedLog, MintLog, PairCreatedLog, ReorgEvent, SwapLog, SyncLog } from '../chain/events.js'
import type { TokenMetadata } from '../chain/tokenMetadata.js'
import type { QuoteConfig } from '../market/pairs.js'
import { classifySwap } from '../market/swap.js'
import { candles, evict, recordPrice, recordTrade } from '../market/tokenMarket.js'
import { round, toDecimalString, toNumber } from '../market/units.js'
import type { AlertItem, PriceItem, TokenItem, TradeItem } from '../protocol/items.js'
import type { WritableStateStore } from '../state/stateStore.js'
import { createMarketBook, type TokenInfo } from './marketBook.js'

export type IndexerOptions = {
  bus: Bus
  state: WritableStateStore
  /** Cached ERC-20 metadata reads (the chain follower's `readTokenMetadata`). */
  metadata: (token: Address) => Promise<TokenMetadata>
  quotes: QuoteConfig
  thresholds: AlertThresholds
  logger: Logger
  /**
   * Blocks before this one rebuild state (market windows, launches, trades, cooldowns) without
   * publishing: they were delivered before a restart, or predate the first start.
   */
  publishFrom?: bigint
}

export type Indexer = {
  /** Applies one batch of chain events and publishes what they mean; awaited by the follower. */
  handle(events: readonly ChainEvent[]): Promise<void>
  /** Records a pair's current reserves read at start-up (e.g. the CORE/USD pairs, before their next `Sync`). */
  seedPair(pair: SeedPair): Promise<void>
  stats(): { launches: number; trades: number; alerts: number; reorgs: number; tokens: number; coreUsd: number | null }
}

export type SeedPair = { pair: Address; token0: Address; token1: Address; dex: string; reserve0: bigint; reserve1: bigint; block: bigint }

type Pending = { log: PairCreatedLog; token: Address; timestamp: number }
type TradeRecord = { token: Address; timestamp: number; type: 'buy' | 'sell'; core: number; usd: number | null }
type Published = { tokens: string[]; trades: TradeRecord[]; tradeHashes: string[]; alerts: string[]; launched: Address[] }
type BlockOut = { tokens: TokenItem[]; trades: TradeItem[]; alerts: AlertItem[]; touched: Set<TokenInfo>; records: TradeRecord[] }

/**
 * Turns decoded chain events into the four channels: launches (`tokens`), swaps (`trades`),
 * per-token market stats (`prices`) and `alerts` — one bus message per channel per block — and keeps
 * the state store current. Reorgs are announced and undone.
 *
 * @example
 * const indexer = createIndexer({ bus, state, metadata, quotes, thresholds, logger })
 * createChainFollower({ …, onEvents: indexer.handle })
 */
export function createIndexer(options: IndexerOptions): Indexer {
  const { bus, state, metadata, logger } = options
  const publishFrom = options.publishFrom ?? 0n
  const book = createMarketBook(options.quotes)
  const engine = createAlertEngine(options.thresholds)
  const pending = new Map<Address, Pending>()
  const launched = new Set<Address>()
  const creators = new Map<Address, Address>()
  const published = new Map<bigint, Published>()
  const counts = { launches: 0, trades: 0, alerts: 0, reorgs: 0 }
  let lastSweep = 0
  state.setCandleSource((address, seconds) => {
    const info = book.tokens.get(address as Address)
    return info ? candles(info.market, seconds) : null
  })

  /** Reads metadata of every non-quote token the block touches, in parallel and once per token. */
  async function prefetch(logs: readonly DecodedLog[]): Promise<Map<Address, TokenMetadata>> {
    const wanted = new Set<Address>()
    for (const log of logs) {
      if (log.kind === 'tokenCreated') continue
      const role = book.roleOf(log)
      if (role.kind === 'token') wanted.add(role.token)
      if (role.kind === 'usd') wanted.add(role.stable)
    }
    const entries = await Promise.all([...wanted].map(async (t) => [t, await metadata(t)] as const))
    for (const [t, m] of entries) if (options.quotes.usdTokens.includes(t)) book.stableDecimals.set(t, m.decimals)
    return new Map(entries)
  }

  function tokenInfo(pair: Address, meta: Map<Address, TokenMetadata>): TokenInfo | null {
    const role = book.roles.get(pair)
    if (role?.kind !== 'token') return null
    const info = book.token(role.token, meta.get(role.token) ?? { name: null, symbol: null, decimals: 18, totalSupply: null })
    info.pairs.add(pair)
    return info
  }

  function onPairCreated(log: PairCreatedLog, timestamp: number, meta: Map<Address, TokenMetadata>): void {
    const info = tokenInfo(log.pair, meta)
    if (!info) return
    info.insiders.add(creators.get(info.address) ?? log.from)
    if (launched.has(info.address) || [...pending.values()].some((p) => p.token === info.address)) return
    pending.set(log.pair, { log, token: info.address, timestamp })
  }

  function onMint(log: MintLog, meta: Map<Address, TokenMetadata>): TokenItem | null {
    const launch = pending.get(log.pair)
    const info = tokenInfo(log.pair, meta)
    const role = book.roles.get(log.pair)
    if (!launch || !info || role?.kind !== 'token') return null
    pending.delete(log.pair)
    launched.add(launch.token)
    info.insiders.add(log.from)
    const m = info.meta
    return {
      address: launch.token,
      name: m.name,
      symbol: m.symbol,
      totalSupply: m.totalSupply === null ? null : toDecimalString(m.totalSupply, m.decimals),
      creator: creators.get(launch.token) ?? launch.log.from,
      pairAddress: log.pair,
      initialLiquidity: toDecimalString(role.tokenIndex === 0 ? log.amount1 : log.amount0, 18),
      timestamp: launch.timestamp,
      blockNumber: Number(launch.log.blockNumber),
      txHash: launch.log.txHash,
      dex: launch.log.dex,
      decimals: m.decimals,
    }
  }

  function onSync(log: SyncLog, timestamp: number, out: BlockOut, meta: Map<Address, TokenMetadata>): void {
    const role = book.roleOf(log)
    if (role.kind === 'other') return
    book.reserves.set(log.pair, log.reserve0, log.reserve1, log.blockNumber)
    const info = tokenInfo(log.pair, meta)
    const pool = info && book.deepest(info)
    if (!info || !pool) return
    recordPrice(info.market, timestamp, pool.priceCore, book.coreUsd())
    out.touched.add(info)
  }

  function onSwap(log: SwapLog, timestamp: number, out: BlockOut, meta: Map<Address, TokenMetadata>): void {
    const info = tokenInfo(log.pair, meta)
    const role = book.roles.get(log.pair)
    if (!info || role?.kind !== 'token') return
    const swap = classifySwap(log, role.tokenIndex, info.meta.decimals)
    if (!swap) return
    const usd = book.coreUsd()
    const valueUsd = usd === null ? null : round(swap.core * usd)
    const trade: TradeItem = {
      txHash: log.txHash,
      tokenAddress: info.address,
      tokenSymbol: info.meta.symbol,
      trader: log.from,
      type: swap.type,
      amountToken: swap.amountToken,
      amountCore: swap.amountCore,
      price: swap.price,
      timestamp,
      blockNumber: Number(log.blockNumber),
      dex: log.dex,
      logIndex: log.logIndex,
      pairAddress: log.pair,
      priceUsd: usd === null ? null : round(swap.price * usd),
      valueUsd,
    }
    out.trades.push(trade)
    recordTrade(info.market, timestamp, swap.type, swap.core, valueUsd)
    out.records.push({ token: info.address, timestamp, type: swap.type, core: swap.core, usd: valueUsd })
    out.touched.add(info)
    out.alerts.push(...engine.onTrade(tradeFact(info, log, trade, swap.core)))
  }

  function tradeFact(info: TokenInfo, log: SwapLog, trade: TradeItem, core: number): TradeFact {
    const after = book.poolOf(log.pair, info.meta.decimals)?.coreReserve ?? 0
    const amountToken = Number(trade.amountToken)
    const supply = info.meta.totalSupply === null ? null : toNumber(info.meta.totalSupply, info.meta.decimals)
    const insider = trade.type === 'sell' && info.insiders.has(log.from) && supply ? (amountToken / supply) * 100 : null
    return {
      token: { address: info.address, symbol: info.meta.symbol },
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

  function onBurn(log: BurnLog, timestamp: number, out: BlockOut, meta: Map<Address, TokenMetadata>): void {
    const info = tokenInfo(log.pair, meta)
    const role = book.roles.get(log.pair)
    if (!info || role?.kind !== 'token') return
    const core = toNumber(role.tokenIndex === 0 ? log.amount1 : log.amount0, 18)
    const after = book.poolOf(log.pair, info.meta.decimals)?.coreReserve ?? 0
    if (core + after <= 0) return
    const usd = book.coreUsd()
    out.alerts.push(
      ...engine.onBurn({
        token: { address: info.address, symbol: info.meta.symbol },
        pair: log.pair,
        txHash: log.txHash,
        logIndex: log.logIndex,
        wallet: log.from,
        percent: (core / (core + after)) * 100,
        valueUsd: usd === null ? null : round(2 * core * usd),
        timestamp,
      }),
    )
  }

  function applyLogs(logs: readonly DecodedLog[], timestamp: number, meta: Map<Address, TokenMetadata>): BlockOut {
    const out: BlockOut = { tokens: [], trades: [], alerts: [], touched: new Set(), records: [] }
    for (const log of logs) {
      if (log.kind === 'tokenCreated') creators.set(log.token, log.creator)
      else if (log.kind === 'pairCreated') onPairCreated(log, timestamp, meta)
      else if (log.kind === 'sync') onSync(log, timestamp, out, meta)
      else if (log.kind === 'swap') onSwap(log, timestamp, out, meta)
      else if (log.kind === 'burn') onBurn(log, timestamp, out, meta)
      else {
        const launch = onMint(log, meta)
        if (launch) out.tokens.push(launch)
      }
    }
    return out
  }

  async function onBlock({ block, logs }: BlockEvent): Promise<void> {
    const meta = await prefetch(logs)
    const now = Number(block.timestamp)
    const out = applyLogs(logs, now, meta)
    const prices: PriceItem[] = []
    for (const info of out.touched) {
      evict(info.market, now)
      const item = book.priceItem(info, now)
      if (item) prices.push(item)
      out.alerts.push(...engine.onMarketMoved({ address: info.address, symbol: info.meta.symbol }, info.market, now, `${info.address}:${block.number}`))
    }
    published.set(block.number, {
      tokens: out.tokens.map((t) => t.txHash),
      trades: out.records,
      tradeHashes: out.trades.map((t) => t.txHash),
      alerts: out.alerts.map((a) => String(a.data['txHash'] ?? '')).filter(Boolean),
      launched: out.tokens.map((t) => t.address as Address),
    })
    for (const token of out.tokens) await state.addToken(token)
    await state.addTrades(out.trades)
    await state.setPrices(prices)
    if (block.number >= publishFrom) await publish(out, prices)
  }

  async function publish(out: BlockOut, prices: PriceItem[]): Promise<void> {
    if (out.tokens.length > 0) await bus.publish('tokens', { kind: 'data', items: out.tokens })
    if (out.trades.length > 0) await bus.publish('trades', { kind: 'data', items: out.trades })
    if (prices.length > 0) await bus.publish('prices', { kind: 'data', items: prices })
    if (out.alerts.length > 0) await bus.publish('alerts', { kind: 'data', items: out.alerts })
    counts.launches += out.tokens.length
    counts.trades += out.trades.length
    counts.alerts += out.alerts.length
  }

  async function onReorg(event: ReorgEvent): Promise<void> {
    const ancestor = event.commonAncestor.number
    const removed = [...published.entries()].filter(([n]) => n > ancestor).map(([, p]) => p)
    for (const [n] of published) if (n > ancestor) published.delete(n)
    book.reserves.revertAfter(ancestor)
    for (const [pair, p] of pending) if (p.log.blockNumber > ancestor) pending.delete(pair)
    for (const t of removed.flatMap((p) => p.trades)) {
      const info = book.tokens.get(t.token)
      if (info) recordTrade(info.market, t.timestamp, t.type, t.core, t.usd, -1)
    }
    const gone = removed.flatMap((p) => p.launched)
    for (const token of gone) launched.delete(token)
    await state.removeTokens(gone)
    const tradeHashes = unique(removed.flatMap((p) => p.tradeHashes))
    await state.removeTrades(tradeHashes)
    const range = { fromBlock: Number(ancestor) + 1, toBlock: Number(event.removed[0]?.number ?? ancestor + 1n) }
    const retract = { tokens: unique(removed.flatMap((p) => p.tokens)), trades: tradeHashes, alerts: unique(removed.flatMap((p) => p.alerts)) }
    for (const channel of ['tokens', 'trades', 'alerts'] as const) {
      if (retract[channel].length > 0) await bus.publish(channel, { kind: 'reorg', ...range, txHashes: retract[channel] })
    }
    counts.reorgs++
    logger.warn({ ...range, tokens: retract.tokens.length, trades: retract.trades.length, alerts: retract.alerts.length }, 'chain reorganisation: delivered items retracted')
  }

  function onHead(timestamp: number): void {
    if (timestamp - lastSweep < 60) return
    lastSweep = timestamp
    for (const info of book.tokens.values()) evict(info.market, timestamp)
  }

  function onFinalize(block: bigint): void {
    book.reserves.finalize(block)
    for (const n of published.keys()) if (n <= block) published.delete(n)
  }

  return {
    async handle(events) {
      for (const event of events) {
        if (event.kind === 'block') await onBlock(event)
        else if (event.kind === 'reorg') await onReorg(event)
        else if (event.kind === 'finalize') onFinalize(event.block.number)
        else onHead(Number(event.block.timestamp))
      }
    },
    async seedPair(seed) {
      const role = book.roleOf(seed)
      if (role.kind === 'usd') book.stableDecimals.set(role.stable, (await metadata(role.stable)).decimals)
      if (role.kind !== 'other') book.reserves.set(seed.pair, seed.reserve0, seed.reserve1, seed.block)
      book.reserves.finalize(seed.block)
    },
    stats: () => ({ ...counts, tokens: book.tokens.size, coreUsd: book.coreUsd() }),
  }
}

function unique<T>(list: T[]): T[] {
  return [...new Set(list)]
}
