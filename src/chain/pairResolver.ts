import { getAddress, type Address, type PublicClient } from 'viem'
import { uniswapV2PairAbi } from './abi.js'
import { isRetryableError } from './errors.js'
import type { PairInfo } from './events.js'
import { createLruCache } from './lruCache.js'

/** Tells which followed DEX a pair address belongs to, if any. */
export type PairResolver = {
  /** Records a pair announced by a followed factory's `PairCreated` (overrides a cached negative). */
  remember(pair: Address, info: PairInfo): void
  /**
   * The pair's info, or `null` when it is not a pair of a followed factory. An address seen for the first
   * time is resolved once with `factory()`, `token0()`, `token1()`; the answer, negative included, is cached.
   * Throws (and caches nothing) on a retryable RPC error.
   */
  resolve(pair: Address): Promise<PairInfo | null>
  /** How many addresses were resolved through `eth_call` (for metrics and tests). */
  readonly lookups: number
}

export type CreatePairResolverOptions = {
  client: PublicClient
  /** Factory address (lowercase) → DEX name. */
  factories: ReadonlyMap<string, string>
  /** Bound on cached addresses, positive and negative (default 100 000). */
  cacheSize?: number
}

/**
 * Creates a pair resolver with a bounded cache.
 *
 * @example
 * const pairs = createPairResolver({ client, factories: new Map([[factory.toLowerCase(), 'shadowswap']]) })
 * const info = await pairs.resolve(log.address) // null → drop the log
 */
export function createPairResolver(options: CreatePairResolverOptions): PairResolver {
  const { client, factories, cacheSize = 100_000 } = options
  const cache = createLruCache<string, PairInfo | null>(cacheSize)
  const inFlight = new Map<string, Promise<PairInfo | null>>()
  let lookups = 0

  async function lookup(pair: Address): Promise<PairInfo | null> {
    lookups++
    const call = (functionName: 'factory' | 'token0' | 'token1') =>
      client.readContract({ address: pair, abi: uniswapV2PairAbi, functionName })
    let answers: [Address, Address, Address]
    try {
      answers = await Promise.all([call('factory'), call('token0'), call('token1')])
    } catch (err) {
      if (isRetryableError(err)) throw err
      return null // reverts, returns nothing or garbage: not a pair
    }
    const [factory, token0, token1] = answers
    const dex = factories.get(factory.toLowerCase())
    return dex === undefined ? null : { dex, factory: getAddress(factory), token0, token1 }
  }

  return {
    remember(pair, info) {
      cache.set(pair.toLowerCase(), info)
    },
    async resolve(pair) {
      const key = pair.toLowerCase()
      const cached = cache.get(key)
      if (cached !== undefined) return cached
      const pending = inFlight.get(key) ?? lookup(pair)
      inFlight.set(key, pending)
      try {
        const info = await pending
        if (!cache.has(key)) cache.set(key, info)
        return cache.get(key) ?? null
      } finally {
        inFlight.delete(key)
      }
    },
    get lookups() {
      return lookups
    },
  }
}
