import { candles, type Bucket } from '../market/tokenMarket.js'
import type { Candle } from '../protocol/items.js'

/**
 * Candles of `intervalSeconds` from a token's minute buckets as the read model stores them (JSON
 * texts, any order).
 *
 * @example
 * candlesOf(['{"minute":28333333,"open":1,…}'], 300)
 */
export function candlesOf(bucketTexts: readonly string[], intervalSeconds: number): Candle[] {
  const buckets = bucketTexts.map((text) => JSON.parse(text) as Bucket).sort((a, b) => a.minute - b.minute)
  return candles({ buckets }, intervalSeconds)
}
