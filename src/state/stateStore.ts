import type { Candle } from '../market/tokenMarket.js'
import type { PriceItem, TokenItem, TradeItem } from '../protocol/items.js'

export type CandleInterval = '1m' | '5m' | '1h'
export const candleSeconds: Record<CandleInterval, number> = { '1m': 60, '5m': 300, '1h': 3600 }

/**
 * The read side a gateway serves snapshots and HTTP reads from (prices on subscribe, recent
 * launches, a token's stats, trades and candles). The indexer writes it; gateways only read.
 */
export type StateStore = {
  /** Newest first, at most `limit`. */
  recentTokens(limit: number): Promise<TokenItem[]>
  /** Current price items for the requested tokens that are known (unknown ones are skipped). */
  prices(tokens: readonly string[]): Promise<PriceItem[]>
  /** Every known token's current price item ("*" subscriptions). */
  allPrices(): Promise<PriceItem[]>
  /** The launch record of a token, if it was seen launching. */
  launch(address: string): Promise<TokenItem | null>
  /** Recent trades of a token, newest first. */
  trades(address: string, limit: number): Promise<TradeItem[]>
  /** OHLCV candles of a token, oldest first; null for an unknown token. */
  candles(address: string, interval: CandleInterval): Promise<Candle[] | null>
}

export type WritableStateStore = StateStore & {
  addToken(token: TokenItem): Promise<void>
  removeTokens(addresses: readonly string[]): Promise<void>
  setPrices(items: readonly PriceItem[]): Promise<void>
  addTrades(items: readonly TradeItem[]): Promise<void>
  removeTrades(txHashes: readonly string[]): Promise<void>
  /** Where candles come from (the indexer's market, in one process). */
  setCandleSource(source: (address: string, intervalSeconds: number) => Candle[] | null): void
}

export type MemoryStateStoreOptions = { recentLimit: number; tradesPerToken?: number }

/**
 * An in-process state store with bounded lists (recent launches, recent trades per token).
 *
 * @example
 * const store = createMemoryStateStore({ recentLimit: 50 })
 * await store.addToken(token)
 * await store.recentTokens(10)
 */
export function createMemoryStateStore({ recentLimit, tradesPerToken = 200 }: MemoryStateStoreOptions): WritableStateStore {
  const recent: TokenItem[] = []
  const launches = new Map<string, TokenItem>()
  const priceByToken = new Map<string, PriceItem>()
  const tradesByToken = new Map<string, TradeItem[]>()
  let candleSource: (address: string, intervalSeconds: number) => Candle[] | null = () => null
  return {
    async recentTokens(limit) {
      return recent.slice(0, limit)
    },
    async prices(tokens) {
      return tokens.flatMap((t) => priceByToken.get(t) ?? [])
    },
    async allPrices() {
      return [...priceByToken.values()]
    },
    async launch(address) {
      return launches.get(address) ?? null
    },
    async trades(address, limit) {
      return (tradesByToken.get(address) ?? []).slice(-limit).reverse()
    },
    async candles(address, interval) {
      return candleSource(address, candleSeconds[interval])
    },
    async addToken(token) {
      recent.unshift(token)
      launches.set(token.address, token)
      if (recent.length > recentLimit) recent.length = recentLimit
    },
    async removeTokens(addresses) {
      const gone = new Set(addresses)
      for (let i = recent.length - 1; i >= 0; i--) if (gone.has(recent[i]!.address)) recent.splice(i, 1)
      for (const a of gone) {
        priceByToken.delete(a)
        launches.delete(a)
      }
    },
    async setPrices(items) {
      for (const item of items) priceByToken.set(item.tokenAddress, item)
    },
    async addTrades(items) {
      for (const item of items) {
        let list = tradesByToken.get(item.tokenAddress)
        if (!list) tradesByToken.set(item.tokenAddress, (list = []))
        list.push(item)
        if (list.length > tradesPerToken) list.splice(0, list.length - tradesPerToken)
      }
    },
    async removeTrades(txHashes) {
      const gone = new Set(txHashes)
      for (const [token, list] of tradesByToken) tradesByToken.set(token, list.filter((t) => !gone.has(t.txHash)))
    },
    setCandleSource(source) {
      candleSource = source
    },
  }
}
