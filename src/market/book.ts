import type { PriceItem } from '../protocol/items.js'
import { coreUsdPrice, type UsdReference } from './coreUsd.js'
import type { PairRole } from './pairs.js'
import { DAY_SECONDS, windowStats, type TokenMarket } from './tokenMarket.js'
import { round, toNumber } from './units.js'

/** A pair's role and the DEX it belongs to. */
export type Role = PairRole & { dex: string }

/** What the market needs to know of a token (ERC-20 metadata; `totalSupply` in raw units). */
export type TokenMeta = { name: string | null; symbol: string | null; decimals: number; totalSupply: bigint | null }

/** A read-only view of the market state (the indexer's tables). */
export type MarketView = {
  roles: ReadonlyMap<string, Role>
  reserves: ReadonlyMap<string, readonly [bigint, bigint]>
  meta: ReadonlyMap<string, TokenMeta>
  /** A token's CORE pairs (several DEXes). */
  pairsOf: ReadonlyMap<string, readonly string[]>
  /** The WCORE/stablecoin pairs. */
  usdPairs: Iterable<string>
}

/** A token's CORE pair as the market sees it now: price (CORE per token) and the CORE side of the pool. */
export type PoolView = { pair: string; priceCore: number; coreReserve: number }

/**
 * CORE/USD: the reserve-weighted average over the WCORE/stablecoin pairs; null until one has reserves.
 *
 * @example
 * coreUsdOf(view) // 1.02
 */
export function coreUsdOf(view: MarketView): number | null {
  const refs: UsdReference[] = []
  for (const pair of view.usdPairs) {
    const r = view.reserves.get(pair)
    const role = view.roles.get(pair)
    if (!r || role?.kind !== 'usd') continue
    const [stableReserve, coreReserve] = role.stableIndex === 0 ? r : [r[1], r[0]]
    refs.push({ stableReserve, stableDecimals: view.meta.get(role.stable)?.decimals ?? 18, coreReserve })
  }
  return coreUsdPrice(refs)
}

/** A token's view of one pair's reserves, or null before its first `Sync`. */
export function poolOf(view: MarketView, pair: string, decimals: number): PoolView | null {
  const r = view.reserves.get(pair)
  const role = view.roles.get(pair)
  if (!r || role?.kind !== 'token') return null
  const [tokenRaw, coreRaw] = role.tokenIndex === 0 ? r : [r[1], r[0]]
  const tokenAmount = toNumber(tokenRaw, decimals)
  const coreReserve = toNumber(coreRaw, 18)
  return { pair, priceCore: tokenAmount > 0 ? coreReserve / tokenAmount : 0, coreReserve }
}

/** The deepest CORE pool of a token: its price comes from there. */
export function deepestPool(view: MarketView, token: string): PoolView | null {
  const decimals = view.meta.get(token)?.decimals ?? 18
  let best: PoolView | null = null
  for (const pair of view.pairsOf.get(token) ?? []) {
    const pool = poolOf(view, pair, decimals)
    if (pool && (!best || pool.coreReserve > best.coreReserve)) best = pool
  }
  return best
}

/**
 * A token's `prices` item at `now`: price from its deepest pool, 5 m / 1 h / 6 h / 24 h change and
 * volume from its minute buckets, liquidity and market cap in USD (null while CORE/USD is unknown).
 *
 * @example
 * priceItemOf(view, token, market, block.timestamp, coreUsdOf(view))
 */
export function priceItemOf(view: MarketView, token: string, market: TokenMarket, now: number, usd: number | null): PriceItem | null {
  const pool = deepestPool(view, token)
  if (!pool) return null
  const meta = view.meta.get(token)
  const w = (seconds: number) => windowStats(market, now, seconds)
  const [m5, h1, h6, d1] = [w(300), w(3600), w(21_600), w(DAY_SECONDS)]
  const price = usd === null ? null : round(pool.priceCore * usd)
  const supply = meta?.totalSupply == null ? null : toNumber(meta.totalSupply, meta.decimals)
  const pct = (s: { changePercent: number | null }) => (s.changePercent === null ? null : round(s.changePercent))
  const vol = (s: { volumeUsd: number }) => (usd === null ? null : round(s.volumeUsd))
  return {
    tokenAddress: token,
    price,
    priceChange24h: pct(d1),
    volume24h: vol(d1),
    liquidity: usd === null ? null : round(2 * pool.coreReserve * usd),
    timestamp: now,
    priceCore: round(pool.priceCore),
    marketCap: price === null || supply === null ? null : round(price * supply),
    symbol: meta?.symbol ?? null,
    priceChange5m: pct(m5),
    priceChange1h: pct(h1),
    priceChange6h: pct(h6),
    volume5m: vol(m5),
    volume1h: vol(h1),
    volume6h: vol(h6),
    buys24h: d1.buys,
    sells24h: d1.sells,
    liquidityCore: round(2 * pool.coreReserve),
    pairAddress: pool.pair,
  }
}
