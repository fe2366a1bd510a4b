import type { AlertItem, Severity } from '../protocol/items.js'
import { priceRange, windowStats, type TokenMarket } from '../market/tokenMarket.js'
import { formatPercent, formatUsd, formatWindow } from './format.js'

/** Thresholds of the four alert rules (README: "Alerts"). */
export type AlertThresholds = {
  pricePercent: number
  priceWindowSec: number
  volumeMultiplier: number
  volumeWindowSec: number
  volumeMinUsd: number
  whaleUsd: number
  whalePoolPercent: number
  rugPercent: number
  rugWindowSec: number
  rugSellPercent: number
  cooldownSec: number
}

export type TokenRef = { address: string; symbol: string | null }

/** A trade as the rules see it. `poolCore` is the pair's CORE reserve before the trade. */
export type TradeFact = {
  token: TokenRef
  txHash: string
  logIndex: number
  trader: string
  type: 'buy' | 'sell'
  amountToken: number
  amountCore: number
  valueUsd: number | null
  poolCore: number
  timestamp: number
  /** Share of the token's total supply sold by its creator or first liquidity provider (sells only). */
  insiderSupplyPercent: number | null
}

/** Liquidity removed from a pair. `percent` of the pool's CORE side before the removal. */
export type BurnFact = { token: TokenRef; pair: string; txHash: string; logIndex: number; wallet: string; percent: number; windowPercent: number; valueUsd: number | null; timestamp: number }

export const label = (t: TokenRef) => t.symbol ?? `${t.address.slice(0, 6)}…${t.address.slice(-4)}`

/** An alert item; its id is `<type>:<key>` (a key unique to what fired it). */
export function alert(type: AlertItem['type'], token: TokenRef, key: string, title: string, message: string, severity: Severity, data: Record<string, unknown>, timestamp: number): AlertItem {
  return { id: `${type}:${key}`, type, tokenAddress: token.address, tokenSymbol: token.symbol, title, message, severity, data, timestamp }
}

/**
 * A single trade worth at least `whaleUsd`, or at least `whalePoolPercent` of the pool's liquidity.
 *
 * @example
 * whaleAlert(trade, thresholds) // { type: 'whale', title: 'Whale Alert: MEME', message: 'Whale buy: $2.5M of MEME', … }
 */
export function whaleAlert(t: TradeFact, th: AlertThresholds): AlertItem | null {
  const poolPercent = t.poolCore > 0 ? (t.amountCore / (2 * t.poolCore)) * 100 : 0
  const byValue = t.valueUsd !== null && t.valueUsd >= th.whaleUsd
  if (!byValue && poolPercent < th.whalePoolPercent) return null
  const severity: Severity = poolPercent >= 4 * th.whalePoolPercent || (t.valueUsd ?? 0) >= 10 * th.whaleUsd ? 'critical' : 'warning'
  const value = t.valueUsd === null ? `${Number(t.amountCore.toPrecision(4))} CORE` : formatUsd(t.valueUsd)
  return alert('whale', t.token, `${t.txHash}:${t.logIndex}`, `Whale Alert: ${label(t.token)}`, `Whale ${t.type}: ${value} of ${label(t.token)}`, severity, {
    walletAddress: t.trader,
    action: t.type,
    amount: t.amountToken,
    amountCore: t.amountCore,
    value: t.valueUsd,
    valueUsd: t.valueUsd,
    percent: Number(poolPercent.toFixed(2)),
    txHash: t.txHash,
  }, t.timestamp)
}

/** Liquidity pulled: at least `rugPercent` of the pool in one transaction or within `rugWindowSec`. */
export function rugBurnAlert(b: BurnFact, th: AlertThresholds): AlertItem | null {
  const percent = Math.max(b.percent, b.windowPercent)
  if (percent < th.rugPercent) return null
  const severity: Severity = percent >= 80 ? 'critical' : 'warning'
  const value = b.valueUsd === null ? '' : ` (${formatUsd(b.valueUsd)})`
  return alert('rug', b.token, `${b.txHash}:${b.logIndex}`, `Rug Alert: ${label(b.token)}`, `Liquidity pulled: ${formatPercent(percent)} of the ${label(b.token)} pool removed${value}`, severity, {
    walletAddress: b.wallet,
    action: 'remove_liquidity',
    percent: Number(percent.toFixed(2)),
    value: b.valueUsd,
    valueUsd: b.valueUsd,
    window: th.rugWindowSec,
    pair: b.pair,
    txHash: b.txHash,
  }, b.timestamp)
}

/** The creator or first liquidity provider selling at least `rugSellPercent` of the supply. */
export function insiderSellAlert(t: TradeFact, th: AlertThresholds): AlertItem | null {
  if (t.type !== 'sell' || t.insiderSupplyPercent === null || t.insiderSupplyPercent < th.rugSellPercent) return null
  const severity: Severity = t.insiderSupplyPercent >= 2 * th.rugSellPercent ? 'critical' : 'warning'
  return alert('rug', t.token, `${t.txHash}:${t.logIndex}`, `Rug Alert: ${label(t.token)}`, `Creator sold ${formatPercent(t.insiderSupplyPercent)} of the ${label(t.token)} supply`, severity, {
    walletAddress: t.trader,
    action: 'insider_sell',
    amount: t.amountToken,
    percent: Number(t.insiderSupplyPercent.toFixed(2)),
    value: t.valueUsd,
    valueUsd: t.valueUsd,
    txHash: t.txHash,
  }, t.timestamp)
}

/** A price move of at least `pricePercent` within `priceWindowSec` (from the window's low up, or high down). */
export function priceAlert(token: TokenRef, market: TokenMarket, now: number, th: AlertThresholds, key: string): AlertItem | null {
  const range = priceRange(market, now, th.priceWindowSec)
  const last = market.buckets.at(-1)?.close
  if (!range || last === undefined || range.low <= 0) return null
  const up = ((last - range.low) / range.low) * 100
  const down = ((range.high - last) / range.high) * 100
  const move = up >= down ? up : -down
  if (Math.abs(move) < th.pricePercent) return null
  const severity: Severity = Math.abs(move) >= 2.5 * th.pricePercent ? 'critical' : 'warning'
  const direction = move > 0 ? 'up' : 'down'
  return alert('price', token, key, `Price Alert: ${label(token)}`, `${label(token)} ${direction} ${formatPercent(Math.abs(move))} in ${formatWindow(th.priceWindowSec)}`, severity, {
    percent: Number(move.toFixed(2)),
    direction,
    window: th.priceWindowSec,
    priceCore: Number(last.toPrecision(12)),
  }, now)
}

/** Volume in the window at least `volumeMultiplier` × its trailing average (over the previous 12 windows) and above `volumeMinUsd`. */
export function volumeAlert(token: TokenRef, market: TokenMarket, now: number, th: AlertThresholds, key: string): AlertItem | null {
  const w = th.volumeWindowSec
  const current = windowStats(market, now, w).volumeUsd
  if (current < th.volumeMinUsd) return null
  const trailing = (windowStats(market, now - w, 12 * w).volumeUsd) / 12
  if (trailing <= 0 || current < th.volumeMultiplier * trailing) return null
  const multiple = current / trailing
  return alert('volume', token, key, `Volume Alert: ${label(token)}`, `${label(token)} traded ${formatUsd(current)} in ${formatWindow(w)}, ${Number(multiple.toFixed(1))}× its average`, multiple >= 3 * th.volumeMultiplier ? 'critical' : 'warning', {
    value: current,
    valueUsd: current,
    multiple: Number(multiple.toFixed(2)),
    window: w,
  }, now)
}
