import type { PriceItem, TokenItem } from '../protocol/items.js'

/**
 * The read side a gateway serves snapshots from (prices on subscribe, recent launches).
 * The indexer writes it; gateways only read. `memory` here, Redis when gateways are separate processes.
 */
export type StateStore = {
  /** Newest first, at most `limit`. */
  recentTokens(limit: number): Promise<TokenItem[]>
  /** Current price items for the requested tokens that are known (unknown ones are skipped). */
  prices(tokens: readonly string[]): Promise<PriceItem[]>
  /** Every known token's current price item ("*" subscriptions). */
  allPrices(): Promise<PriceItem[]>
}

export type WritableStateStore = StateStore & {
  addToken(token: TokenItem): Promise<void>
  removeTokens(addresses: readonly string[]): Promise<void>
  setPrices(items: readonly PriceItem[]): Promise<void>
}

/**
 * An in-process state store with a bounded list of recent launches.
 *
 * @example
 * const store = createMemoryStateStore({ recentLimit: 50 })
 * await store.addToken(token)
 * await store.recentTokens(10)
 */
export function createMemoryStateStore({ recentLimit }: { recentLimit: number }): WritableStateStore {
  const recent: TokenItem[] = []
  const priceByToken = new Map<string, PriceItem>()
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
    async addToken(token) {
      recent.unshift(token)
      if (recent.length > recentLimit) recent.length = recentLimit
    },
    async removeTokens(addresses) {
      const gone = new Set(addresses)
      for (let i = recent.length - 1; i >= 0; i--) if (gone.has(recent[i]!.address)) recent.splice(i, 1)
      for (const a of gone) priceByToken.delete(a)
    },
    async setPrices(items) {
      for (const item of items) priceByToken.set(item.tokenAddress, item)
    },
  }
}
