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
 * @example
 * const engine = createAlertEngine(thresholds)
 * engine.onTrade(trade) // [] or [whale alert]
 */
export function createAlertEngine(th: AlertThresholds): AlertEngine {
  const lastFired = new Map<string, number>()
  const burns = new Map<string, { timestamp: number; percent: number }[]>()

  function cooled(alert: AlertItem | null, rule: string): AlertItem[] {
    if (!alert) return []
    const key = `${rule}:${alert.tokenAddress}`
    const last = lastFired.get(key)
    if (last !== undefined && alert.timestamp - last < th.cooldownSec) return []
    lastFired.set(key, alert.timestamp)
    return [alert]
  }

  /** Remaining share of the pool after each removal compounds: 50 % then 50 % is 75 % in total. */
  function windowPercent(pair: string, timestamp: number, percent: number): number {
    const recent = (burns.get(pair) ?? []).filter((b) => timestamp - b.timestamp <= th.rugWindowSec)
    recent.push({ timestamp, percent })
    burns.set(pair, recent)
    const left = recent.reduce((remaining, b) => remaining * (1 - b.percent / 100), 1)
    return (1 - left) * 100
  }

  return {
    onTrade: (trade) => [...cooled(whaleAlert(trade, th), 'whale'), ...cooled(insiderSellAlert(trade, th), 'rug-sell')],
    onBurn: (burn) => cooled(rugBurnAlert({ ...burn, windowPercent: windowPercent(burn.pair, burn.timestamp, burn.percent) }, th), 'rug'),
    onMarketMoved: (token, market, now, key) => [...cooled(priceAlert(token, market, now, th, key), 'price'), ...cooled(volumeAlert(token, market, now, th, key), 'volume')],
  }
}
