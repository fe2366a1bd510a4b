import type { Logger } from 'pino'
import type { Address } from 'viem'
import { createAlertEngine } from '../alerts/engine.js'
import type { AlertThresholds, TradeFact } from '../alerts/rules.js'
import type { BlockEvent, BurnLog, ChainEvent, DecodedLog, MintLog, PairCreatedLog, ReorgEvent, SwapLog, SyncLog } from '../chain/events.js'
import type { TokenMetadata } from '../chain/tokenMetadata.js'
import type { QuoteConfig } from '../market/pairs.js'
import { classifySwap } from '../market/swap.js'
import type { Ledger } from '../ledger/ledger.js'
import { evict, recordPrice, recordTrade, type Bucket } from '../market/tokenMarket.js'
import { round, toDecimalString, toNumber } from '../market/units.js'
import type { AlertItem, PriceItem, TokenItem, TradeItem } from '../protocol/items.js'
import { blockCommit, reorgCommit, type BlockTexts } from './blockCommit.js'
import { createMarketBook, type TokenInfo } from './marketBook.js'

export type IndexerOptions = {
  /** Where each block's publications and read-model changes are committed, together. */
  ledger: Ledger
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
type Published = { tokens: string[]; trades: TradeRecord[]; tradeHashes: string[]; alerts: string[]; launched: Address[]; texts: BlockTexts }
type BlockOut = { tokens: TokenItem[]; trades: TradeItem[]; alerts: AlertItem[]; touched: Set<TokenInfo>; records: TradeRecord[] }

/**
 * Turns decoded chain events into the four channels: launches (`tokens`), swaps (`trades`),
 * per-token market stats (`prices`) and `alerts` — one bus message per channel per block — and the
 * read model's changes, committed together through the ledger. Reorgs are announced and undone.
 *
 * @example
 * const indexer = createIndexer({ ledger, metadata, quotes, thresholds, logger })
 * createChainFollower({ …, onEvents: indexer.handle })
 */
export function createIndexer(options: IndexerOptions): Indexer {
  const { ledger, metadata, logger } = options
  const publishFrom = options.publishFrom ?? 0n
  const book = createMarketBook(options.quotes)
  const engine = createAlertEngine(options.thresholds)
  const pending = new Map<Address, Pending>()
  const launched = new Set<Address>()
  const creators = new Map<Address, Address>()
  const published = new Map<bigint, Published>()
  const counts = { launches: 0, trades: 0, alerts: 0, reorgs: 0 }
  /** Buckets evicted by the periodic sweep, written with the next block. */
  const pendingTrims = new Map<string, number>()
  let lastSweep = 0

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
    const buckets: { token: string; bucket: Bucket }[] = []
    for (const info of out.touched) {
      if (evict(info.market, now) > 0) pendingTrims.set(info.address, info.market.buckets[0]!.minute)
      const item = book.priceItem(info, now)
      if (item) prices.push(item)
      const bucket = info.market.buckets.at(-1)
      if (bucket) buckets.push({ token: info.address, bucket })
      out.alerts.push(...engine.onMarketMoved({ address: info.address, symbol: info.meta.symbol }, info.market, now, `${info.address}:${block.number}`))
    }
    const trims = [...pendingTrims].map(([token, minute]) => ({ token, minute }))
    pendingTrims.clear()
    const { commit, texts } = blockCommit({ tokens: out.tokens, trades: out.trades, prices, alerts: out.alerts, buckets, trims })
    published.set(block.number, {
      tokens: out.tokens.map((t) => t.txHash),
      trades: out.records,
      tradeHashes: out.trades.map((t) => t.txHash),
      alerts: out.alerts.map((a) => String(a.data['txHash'] ?? '')).filter(Boolean),
      launched: out.tokens.map((t) => t.address as Address),
      texts,
    })
    if (block.number < publishFrom) return ledger.rebuild(commit.delta)
    await ledger.commit(commit)
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
    const buckets = new Map<string, { token: string; bucket: Bucket }>()
    for (const t of removed.flatMap((p) => p.trades)) {
      const info = book.tokens.get(t.token)
      if (!info) continue
      recordTrade(info.market, t.timestamp, t.type, t.core, t.usd, -1)
      const bucket = info.market.buckets.findLast((b) => b.minute === Math.floor(t.timestamp / 60))
      if (bucket) buckets.set(`${t.token}:${bucket.minute}`, { token: t.token, bucket })
    }
    for (const token of removed.flatMap((p) => p.launched)) launched.delete(token)
    const range = { fromBlock: Number(ancestor) + 1, toBlock: Number(event.removed[0]?.number ?? ancestor + 1n) }
    const txHashes = { tokens: unique(removed.flatMap((p) => p.tokens)), trades: unique(removed.flatMap((p) => p.tradeHashes)), alerts: unique(removed.flatMap((p) => p.alerts)) }
    const texts = { launches: removed.flatMap((p) => p.texts.launches), trades: removed.flatMap((p) => p.texts.trades) }
    await ledger.commit(reorgCommit({ ...range, txHashes, texts, buckets: [...buckets.values()] }))
    counts.reorgs++
    logger.warn({ ...range, tokens: txHashes.tokens.length, trades: txHashes.trades.length, alerts: txHashes.alerts.length }, 'chain reorganisation: delivered items retracted')
  }

  function onHead(timestamp: number): void {
    if (timestamp - lastSweep < 60) return
    lastSweep = timestamp
    for (const info of book.tokens.values()) if (evict(info.market, timestamp) > 0) pendingTrims.set(info.address, info.market.buckets[0]!.minute)
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
