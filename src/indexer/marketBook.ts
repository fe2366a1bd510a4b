import type { Address } from 'viem'
import type { TokenMetadata } from '../chain/tokenMetadata.js'
import { coreUsdPrice, type UsdReference } from '../market/coreUsd.js'
import { pairRole, type PairRole, type QuoteConfig } from '../market/pairs.js'
import { createReserveBook, type ReserveBook } from '../market/reserves.js'
import { createTokenMarket, DAY_SECONDS, windowStats, type TokenMarket } from '../market/tokenMarket.js'
import { round, toNumber } from '../market/units.js'
import type { PriceItem } from '../protocol/items.js'

export type Role = PairRole & { dex: string }

/** What the indexer knows about one token. */
export type TokenInfo = {
  address: Address
  meta: TokenMetadata
  market: TokenMarket
  /** CORE pairs of the token (several DEXes); its price comes from the deepest. */
  pairs: Set<Address>
  /** Launcher's creator or the pair creator; and the first liquidity provider. Their sells are rug signals. */
  insiders: Set<Address>
}

/** A token's CORE pair as the market sees it now: price (CORE per token) and the CORE side of the pool. */
export type PoolView = { pair: Address; priceCore: number; coreReserve: number }

/**
 * Pairs, reserves and per-token markets; builds `prices` items. No I/O: metadata comes in from outside.
 *
 * @example
 * const book = createMarketBook({ quoteTokens: [WCORE], usdTokens: [USDT] })
 */
export function createMarketBook(quotes: QuoteConfig) {
  const roles = new Map<Address, Role>()
  const reserves: ReserveBook = createReserveBook()
  const usdPairs = new Set<Address>()
  const tokens = new Map<Address, TokenInfo>()
  const stableDecimals = new Map<Address, number>()

  function roleOf(p: { pair: Address; token0: Address; token1: Address; dex: string }): Role {
    let role = roles.get(p.pair)
    if (!role) {
      roles.set(p.pair, (role = { ...pairRole(p.token0, p.token1, quotes), dex: p.dex }))
      if (role.kind === 'usd') usdPairs.add(p.pair)
    }
    return role
  }

  function coreUsd(): number | null {
    const refs: UsdReference[] = []
    for (const pair of usdPairs) {
      const r = reserves.get(pair)
      const role = roles.get(pair)
      if (!r || role?.kind !== 'usd') continue
      const [stableReserve, coreReserve] = role.stableIndex === 0 ? [r.reserve0, r.reserve1] : [r.reserve1, r.reserve0]
      refs.push({ stableReserve, stableDecimals: stableDecimals.get(role.stable) ?? 18, coreReserve })
    }
    return coreUsdPrice(refs)
  }

  function token(address: Address, meta: TokenMetadata): TokenInfo {
    let info = tokens.get(address)
    if (!info) tokens.set(address, (info = { address, meta, market: createTokenMarket(), pairs: new Set(), insiders: new Set() }))
    return info
  }

  /** The token's view of one pair's reserves, or null before its first `Sync`. */
  function poolOf(pair: Address, decimals: number): PoolView | null {
    const r = reserves.get(pair)
    const role = roles.get(pair)
    if (!r || role?.kind !== 'token') return null
    const [tokenRaw, coreRaw] = role.tokenIndex === 0 ? [r.reserve0, r.reserve1] : [r.reserve1, r.reserve0]
    const tokenAmount = toNumber(tokenRaw, decimals)
    const coreReserve = toNumber(coreRaw, 18)
    return tokenAmount > 0 ? { pair, priceCore: coreReserve / tokenAmount, coreReserve } : { pair, priceCore: 0, coreReserve }
  }

  /** The deepest CORE pool of a token. */
  function deepest(info: TokenInfo): PoolView | null {
    let best: PoolView | null = null
    for (const pair of info.pairs) {
      const pool = poolOf(pair, info.meta.decimals)
      if (pool && (!best || pool.coreReserve > best.coreReserve)) best = pool
    }
    return best
  }

  function priceItem(info: TokenInfo, now: number): PriceItem | null {
    const pool = deepest(info)
    if (!pool) return null
    const usd = coreUsd()
    const w = (seconds: number) => windowStats(info.market, now, seconds)
    const [m5, h1, h6, d1] = [w(300), w(3600), w(21_600), w(DAY_SECONDS)]
    const price = usd === null ? null : round(pool.priceCore * usd)
    const supply = info.meta.totalSupply === null ? null : toNumber(info.meta.totalSupply, info.meta.decimals)
    const pct = (s: { changePercent: number | null }) => (s.changePercent === null ? null : round(s.changePercent))
    const vol = (s: { volumeUsd: number }) => (usd === null ? null : round(s.volumeUsd))
    return {
      tokenAddress: info.address,
      price,
      priceChange24h: pct(d1),
      volume24h: vol(d1),
      liquidity: usd === null ? null : round(2 * pool.coreReserve * usd),
      timestamp: now,
      priceCore: round(pool.priceCore),
      marketCap: price === null || supply === null ? null : round(price * supply),
      symbol: info.meta.symbol,
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

  return { roles, reserves, tokens, stableDecimals, roleOf, coreUsd, token, poolOf, deepest, priceItem }
}

export type MarketBook = ReturnType<typeof createMarketBook>
