/**
 * `risk` alerts: a launch turning dangerous, from two readings of its figures (before and after a
 * block) and the block's LP pulls. Pure; the cooldown memory is the alert engine's (journaled tables).
 */
import type { AlertMemory } from '../alerts/engine.js'
import { formatPercent } from '../alerts/format.js'
import { alert, label, type TokenRef } from '../alerts/rules.js'
import type { AlertItem, TokenRisk } from '../protocol/items.js'
import { percentOf } from './holdings.js'

export type RiskThresholds = {
  /** Snipers (still) holding at least this share of the supply (%). */
  sniperPercent: number
  /** The creator's share falling by at least this many points in a block. */
  devDumpPercent: number
  /** The creator sending at least this share of its LP tokens back to the pair (removing liquidity) in a block. */
  lpPullPercent: number
  cooldownSec: number
}

export type RiskChange = {
  token: TokenRef
  before: TokenRisk | undefined
  after: TokenRisk
  /** The creator's LP tokens before the block, and those it sent to the pair in it. */
  lpPull: { before: bigint; pulled: bigint; txHash: string } | undefined
  timestamp: number
}

type Reason = 'honeypot' | 'lp_pulled' | 'dev_dump' | 'snipers'

/**
 * The `risk` alerts a block's change of a launch's figures fires (each reason once per cooldown).
 *
 * @example
 * riskAlerts({ token, before, after, lpPull, timestamp }, thresholds, memory) // [{ type: 'risk', title: 'Risk Alert: MEME', message: 'MEME is a honeypot: …' }]
 */
export function riskAlerts(change: RiskChange, th: RiskThresholds, memory: AlertMemory): AlertItem[] {
  const { token, before, after, timestamp } = change
  const fired: AlertItem[] = []
  const fire = (reason: Reason, message: string, severity: AlertItem['severity'], data: Record<string, unknown>) => {
    const key = `risk-${reason}:${token.address}`
    const last = memory.lastFired(key)
    if (last !== undefined && timestamp - last < th.cooldownSec) return
    memory.fired(key, timestamp)
    fired.push(alert('risk', token, `${reason}:${token.address}:${after.blockNumber}`, `Risk Alert: ${label(token)}`, message, severity, { reason, blockNumber: after.blockNumber, ...data }, timestamp))
  }
  if (after.honeypot === true && before?.honeypot !== true) {
    fire('honeypot', `${label(token)} looks like a honeypot: a holder's transfer to the pair reverts`, 'critical', {})
  }
  const pull = change.lpPull
  const pulledPercent = pull ? percentOf(pull.pulled, pull.before) : null
  if (pull && pulledPercent !== null && pulledPercent >= th.lpPullPercent) {
    fire('lp_pulled', `The creator of ${label(token)} pulled ${formatPercent(Math.min(pulledPercent, 100))} of its liquidity`, 'critical', { percent: Math.min(pulledPercent, 100), txHash: pull.txHash })
  }
  const devBefore = before?.devHeldPercent
  if (devBefore != null && after.devHeldPercent !== null && devBefore - after.devHeldPercent >= th.devDumpPercent) {
    const drop = Math.round((devBefore - after.devHeldPercent) * 100) / 100
    fire('dev_dump', `The creator of ${label(token)} let go of ${formatPercent(drop)} of the supply (now holds ${formatPercent(after.devHeldPercent)})`, 'warning', { percent: drop, devHeldPercent: after.devHeldPercent })
  }
  const snipers = after.snipers?.heldPercent
  if (snipers != null && snipers >= th.sniperPercent && !((before?.snipers?.heldPercent ?? 0) >= th.sniperPercent)) {
    fire('snipers', `Snipers hold ${formatPercent(snipers)} of ${label(token)} (${after.snipers!.count} wallets)`, 'warning', { percent: snipers, count: after.snipers!.count })
  }
  return fired
}
