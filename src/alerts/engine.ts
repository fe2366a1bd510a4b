import type { AlertItem } from '../protocol/items.js'
import type { TokenMarket } from '../market/tokenMarket.js'
import { insiderSellAlert, priceAlert, rugBurnAlert, volumeAlert, whaleAlert, type AlertThresholds, type BurnFact, type TokenRef, type TradeFact } from './rules.js'

/**
 * The alert rules with their memory: a cooldown per token and rule (so a pump does not fire every
 * block), and recent liquidity removals per pair (for the cumulative rug rule). No I/O.
 */
export type AlertEngine = {
  onTrade(trade: TradeFact): AlertItem[]
  onBurn(burn: Omit<BurnFact, 'windowPercent'>): AlertItem[]
  /** Price and volume rules for a token whose market moved in a block (`key` makes the id: token + block). */
  onMarketMoved(token: TokenRef, market: TokenMarket, now: number, key: string): AlertItem[]
}

/**
 * Where the engine keeps its memory: cooldowns (`<rule>:<token>` → block time of the last alert)
 * and recent liquidity removals per pair. Maps by default; the indexer passes its journaled tables,
 * so that a reorg puts the memory back too.
 */
export type AlertMemory = {
  lastFired(key: string): number | undefined
  fired(key: string, timestamp: number): void
  burns(pair: string): readonly { timestamp: number; percent: number }[]
  setBurns(pair: string, burns: readonly { timestamp: number; percent: number }[]): void
}

export function createMapAlertMemory(): AlertMemory {
  const lastFired = new Map<string, number>()
  const burns = new Map<string, readonly { timestamp: number; percent: number }[]>()
  return {
    lastFired: (key) => lastFired.get(key),
    fired: (key, timestamp) => void lastFired.set(key, timestamp),
    burns: (pair) => burns.get(pair) ?? [],
    setBurns: (pair, list) => void burns.set(pair, list),
  }
}

/**
 * @example
 * const engine = createAlertEngine(thresholds)
 * engine.onTrade(trade) // [] or [whale alert]
 */
export function createAlertEngine(th: AlertThresholds, memory: AlertMemory = createMapAlertMemory()): AlertEngine {
  function cooled(alert: AlertItem | null, rule: string): AlertItem[] {
    if (!alert) return []
    const key = `${rule}:${alert.tokenAddress}`
    const last = memory.lastFired(key)
    if (last !== undefined && alert.timestamp - last < th.cooldownSec) return []
    memory.fired(key, alert.timestamp)
    return [alert]
  }

  /** Remaining share of the pool after each removal compounds: 50 % then 50 % is 75 % in total. */
  function windowPercent(pair: string, timestamp: number, percent: number): number {
    const recent = [...memory.burns(pair).filter((b) => timestamp - b.timestamp <= th.rugWindowSec), { timestamp, percent }]
    memory.setBurns(pair, recent)
    const left = recent.reduce((remaining, b) => remaining * (1 - b.percent / 100), 1)
    return (1 - left) * 100
  }

  return {
    onTrade: (trade) => [...cooled(whaleAlert(trade, th), 'whale'), ...cooled(insiderSellAlert(trade, th), 'rug-sell')],
    onBurn: (burn) => cooled(rugBurnAlert({ ...burn, windowPercent: windowPercent(burn.pair, burn.timestamp, burn.percent) }, th), 'rug'),
    onMarketMoved: (token, market, now, key) => [...cooled(priceAlert(token, market, now, th, key), 'price'), ...cooled(volumeAlert(token, market, now, th, key), 'volume')],
  }
}
