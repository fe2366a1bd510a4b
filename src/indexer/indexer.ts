import type { Logger } from 'pino'
import type { Address, Hash } from 'viem'
import type { Bus } from '../bus/bus.js'
import type { BlockEvent, ChainEvent, DecodedLog, MintLog, PairCreatedLog, ReorgEvent, SwapLog, SyncLog } from '../chain/events.js'
import type { TokenMetadata } from '../chain/tokenMetadata.js'
import { coreUsdPrice } from '../market/coreUsd.js'
import { pairRole, type PairRole, type QuoteConfig } from '../market/pairs.js'
import { createReserveBook } from '../market/reserves.js'
import { classifySwap } from '../market/swap.js'
import { round, toDecimalString } from '../market/units.js'
import type { TokenItem, TradeItem } from '../protocol/items.js'
import type { WritableStateStore } from '../state/stateStore.js'

export type IndexerOptions = {
  bus: Bus
  state: WritableStateStore
  /** Cached ERC-20 metadata reads (the chain follower's `readTokenMetadata`). */
  metadata: (token: Address) => Promise<TokenMetadata>
  quotes: QuoteConfig
  logger: Logger
}

export type Indexer = {
  /** Applies one batch of chain events and publishes what they mean; awaited by the follower. */
  handle(events: readonly ChainEvent[]): Promise<void>
  /** Records a pair's current reserves read at start-up (e.g. the CORE/USD pairs, before their next `Sync`). */
  seedPair(pair: SeedPair): Promise<void>
  stats(): { launches: number; trades: number; reorgs: number; coreUsd: number | null }
}

export type SeedPair = { pair: Address; token0: Address; token1: Address; dex: string; reserve0: bigint; reserve1: bigint; block: bigint }

type Pending = { log: PairCreatedLog; token: Address; timestamp: number }
type Published = { tokens: Hash[]; trades: Hash[]; launched: Address[] }

/**
 * Turns decoded chain events into `tokens` and `trades` items: one bus message per channel per block,
 * launches recorded in the state store, reorgs announced and undone.
 *
 * @example
 * const indexer = createIndexer({ bus, state, metadata, quotes, logger })
 * createChainFollower({ …, onEvents: indexer.handle })
 */
export function createIndexer({ bus, state, metadata, quotes, logger }: IndexerOptions): Indexer {
  const roles = new Map<Address, PairRole & { dex: string }>()
  const reserves = createReserveBook()
  const pending = new Map<Address, Pending>()
  const launched = new Set<Address>()
  const creators = new Map<Address, Address>()
  const published = new Map<bigint, Published>()
  const decimals = new Map<Address, number>()
  const counts = { launches: 0, trades: 0, reorgs: 0 }

  function roleOf(log: { pair: Address; token0: Address; token1: Address; dex: string }) {
    let role = roles.get(log.pair)
    if (!role) roles.set(log.pair, (role = { ...pairRole(log.token0, log.token1, quotes), dex: log.dex }))
    return role
  }

  function coreUsd(): number | null {
    const refs = []
    for (const [pair, r] of reserves.entries()) {
      const role = roles.get(pair)
      if (role?.kind !== 'usd') continue
      const stableDecimals = decimals.get(role.stable) ?? 18
      const [stableReserve, coreReserve] = role.stableIndex === 0 ? [r.reserve0, r.reserve1] : [r.reserve1, r.reserve0]
      refs.push({ stableReserve, stableDecimals, coreReserve })
    }
    return coreUsdPrice(refs)
  }

  /** Reads metadata of every non-quote token the block touches, in parallel and once per token. */
  async function prefetch(logs: readonly DecodedLog[]): Promise<Map<Address, TokenMetadata>> {
    const tokens = new Set<Address>()
    for (const log of logs) {
      if (log.kind === 'tokenCreated') continue
      const role = roleOf(log)
      if (role.kind === 'token') tokens.add(role.token)
      if (role.kind === 'usd') tokens.add(role.stable)
    }
    const entries = await Promise.all([...tokens].map(async (t) => [t, await metadata(t)] as const))
    for (const [t, m] of entries) decimals.set(t, m.decimals)
    return new Map(entries)
  }

  function onPairCreated(log: PairCreatedLog, timestamp: number): void {
    const role = roleOf(log)
    if (role.kind !== 'token' || launched.has(role.token) || pending.has(log.pair)) return
    if ([...pending.values()].some((p) => p.token === role.token)) return
    pending.set(log.pair, { log, token: role.token, timestamp })
  }

  function onMint(log: MintLog, meta: Map<Address, TokenMetadata>): TokenItem | null {
    const launch = pending.get(log.pair)
    const role = roles.get(log.pair)
    if (!launch || role?.kind !== 'token') return null
    pending.delete(log.pair)
    launched.add(launch.token)
    const m = meta.get(launch.token)
    const coreRaw = role.tokenIndex === 0 ? log.amount1 : log.amount0
    return {
      address: launch.token,
      name: m?.name ?? null,
      symbol: m?.symbol ?? null,
      totalSupply: m?.totalSupply == null ? null : toDecimalString(m.totalSupply, m.decimals),
      creator: creators.get(launch.token) ?? launch.log.from,
      pairAddress: log.pair,
      initialLiquidity: toDecimalString(coreRaw, 18),
      timestamp: launch.timestamp,
      blockNumber: Number(launch.log.blockNumber),
      txHash: launch.log.txHash,
      dex: launch.log.dex,
      decimals: m?.decimals ?? 18,
    }
  }

  function onSwap(log: SwapLog, timestamp: number, meta: Map<Address, TokenMetadata>): TradeItem | null {
    const role = roleOf(log)
    if (role.kind !== 'token') return null
    const m = meta.get(role.token)
    const swap = classifySwap(log, role.tokenIndex, m?.decimals ?? 18)
    if (!swap) return null
    const usd = coreUsd()
    return {
      txHash: log.txHash,
      tokenAddress: role.token,
      tokenSymbol: m?.symbol ?? null,
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
      valueUsd: usd === null ? null : round(swap.core * usd),
    }
  }

  function onSync(log: SyncLog): void {
    if (roleOf(log).kind !== 'other') reserves.set(log.pair, log.reserve0, log.reserve1, log.blockNumber)
  }

  async function onBlock({ block, logs }: BlockEvent): Promise<void> {
    const meta = await prefetch(logs)
    const timestamp = Number(block.timestamp)
    const tokens: TokenItem[] = []
    const trades: TradeItem[] = []
    for (const log of logs) {
      if (log.kind === 'tokenCreated') creators.set(log.token, log.creator)
      else if (log.kind === 'pairCreated') onPairCreated(log, timestamp)
      else if (log.kind === 'sync') onSync(log)
      else if (log.kind === 'mint') pushIf(tokens, onMint(log, meta))
      else if (log.kind === 'swap') pushIf(trades, onSwap(log, timestamp, meta))
    }
    published.set(block.number, { tokens: tokens.map((t) => t.txHash as Hash), trades: trades.map((t) => t.txHash as Hash), launched: tokens.map((t) => t.address as Address) })
    for (const token of tokens) await state.addToken(token)
    if (tokens.length > 0) await bus.publish('tokens', { kind: 'data', items: tokens })
    if (trades.length > 0) await bus.publish('trades', { kind: 'data', items: trades })
    counts.launches += tokens.length
    counts.trades += trades.length
  }

  async function onReorg(event: ReorgEvent): Promise<void> {
    const ancestor = event.commonAncestor.number
    const removed = [...published.entries()].filter(([n]) => n > ancestor)
    reserves.revertAfter(ancestor)
    for (const [pair, p] of pending) if (p.log.blockNumber > ancestor) pending.delete(pair)
    for (const [n] of removed) published.delete(n)
    const gone = removed.flatMap(([, p]) => p.launched)
    for (const token of gone) launched.delete(token)
    await state.removeTokens(gone)
    const range = { fromBlock: Number(ancestor) + 1, toBlock: Number(event.removed[0]?.number ?? ancestor + 1n) }
    const tokens = unique(removed.flatMap(([, p]) => p.tokens))
    const trades = unique(removed.flatMap(([, p]) => p.trades))
    if (tokens.length > 0) await bus.publish('tokens', { kind: 'reorg', ...range, txHashes: tokens })
    if (trades.length > 0) await bus.publish('trades', { kind: 'reorg', ...range, txHashes: trades })
    counts.reorgs++
    logger.warn({ ...range, tokens: tokens.length, trades: trades.length }, 'chain reorganisation: delivered items retracted')
  }

  function onFinalize(block: bigint): void {
    reserves.finalize(block)
    for (const n of published.keys()) if (n <= block) published.delete(n)
  }

  return {
    async handle(events) {
      for (const event of events) {
        if (event.kind === 'block') await onBlock(event)
        else if (event.kind === 'reorg') await onReorg(event)
        else if (event.kind === 'finalize') onFinalize(event.block.number)
      }
    },
    async seedPair(seed) {
      const role = roleOf(seed)
      if (role.kind === 'usd') decimals.set(role.stable, (await metadata(role.stable)).decimals)
      if (role.kind !== 'other') reserves.set(seed.pair, seed.reserve0, seed.reserve1, seed.block)
      reserves.finalize(seed.block)
    },
    stats: () => ({ ...counts, coreUsd: coreUsd() }),
  }
}

function pushIf<T>(list: T[], item: T | null): void {
  if (item) list.push(item)
}

function unique<T>(list: T[]): T[] {
  return [...new Set(list)]
}
