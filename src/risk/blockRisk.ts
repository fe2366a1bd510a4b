/**
 * Launch intelligence in the indexer's step: what a block starts following (before its logs), and
 * what it publishes after them — the launches' `risk`, a `risk` item per followed launch whose figures
 * changed (at most one per token per block), its largest holders for the read model, and `risk` alerts.
 */
import type { AlertMemory } from '../alerts/engine.js'
import type { BlockEvent, TransferRecord } from '../chain/events.js'
import type { IndexerState } from '../indexer/state.js'
import type { TokenMeta } from '../market/book.js'
import type { QuoteConfig } from '../market/pairs.js'
import type { AlertItem, HolderRow, RiskItem, TokenItem, TokenRisk } from '../protocol/items.js'
import { riskAlerts, type RiskThresholds } from './alerts.js'
import { holderRows, riskOf, sameRisk } from './figures.js'
import { createRiskScratch, recordSellCheck, settleBlock, startTracking, tokensToTrack, trackPair, type RiskScratch, type RiskSettings } from './tracking.js'

/** What the step needs read before it (I/O): earlier transfers of tokens first seen now, sell checks. */
export type RiskInputs = {
  /** token → its transfers before this block (null: they could not be read). */
  histories: ReadonlyMap<string, readonly TransferRecord[] | null>
  /** token → whether a simulated transfer to its pair reverted. */
  sellChecks: ReadonlyMap<string, boolean>
}

export const NO_RISK_INPUTS: RiskInputs = { histories: new Map(), sellChecks: new Map() }

export type RiskOptions = RiskSettings & { thresholds: RiskThresholds }

/** What a block published about launch risk. */
export type RiskOutput = { items: RiskItem[]; holders: { token: string; rows: HolderRow[] }[]; alerts: AlertItem[] }

/**
 * Before a block's logs: the tokens and pairs it starts following, and the sell checks read for it.
 *
 * @example
 * const scratch = beginRisk(state, event, quotes, inputs, meta)
 */
export function beginRisk(state: IndexerState, event: BlockEvent, quotes: QuoteConfig, inputs: RiskInputs, meta: ReadonlyMap<string, TokenMeta>): RiskScratch {
  const scratch = createRiskScratch()
  const now = Number(event.block.timestamp)
  for (const t of tokensToTrack(state, event, quotes)) {
    if (!state.store.get('tracked', t.token)) {
      const history = t.needsHistory ? (inputs.histories.get(t.token) ?? undefined) : null
      const supply = meta.get(t.token)?.totalSupply ?? state.store.get('meta', t.token)?.totalSupply ?? null
      startTracking(state, t.token, t.creator, now, history, supply)
      scratch.touched.add(t.token)
    }
    if (t.pair !== null) trackPair(state, t.token, t.pair)
  }
  for (const [token, honeypot] of inputs.sellChecks) {
    recordSellCheck(state, token, honeypot, Number(event.block.number))
    scratch.touched.add(token)
  }
  return scratch
}

/**
 * After a block's logs: settles bundles and taxes, then publishes the changed figures of launched
 * tokens (and puts each new launch's figures on its `tokens` item).
 *
 * @example
 * const { items, holders, alerts } = endRisk(state, scratch, options, memory, block, launches)
 */
export function endRisk(state: IndexerState, scratch: RiskScratch, options: RiskOptions, memory: AlertMemory, block: { number: number; timestamp: number }, launches: TokenItem[]): RiskOutput {
  settleBlock(state, scratch, options, block.number)
  const out: RiskOutput = { items: [], holders: [], alerts: [] }
  for (const launch of launches) scratch.touched.add(launch.address)
  for (const token of scratch.touched) {
    const tracked = state.store.get('tracked', token)
    if (!tracked || tracked.launchBlock === null) continue
    const risk = riskOf(state, token, block.number)!
    const before = state.store.get('risk', token)
    const launch = launches.find((l) => l.address === token)
    if (launch) launch.risk = risk
    if (sameRisk(before, risk)) continue
    state.store.set('risk', token, risk)
    const symbol = state.store.get('meta', token)?.symbol ?? null
    out.items.push(riskItem(token, symbol, risk, block.timestamp))
    out.holders.push({ token, rows: holderRows(state, token) })
    out.alerts.push(...riskAlerts({ token: { address: token, symbol }, before, after: risk, lpPull: scratch.lpPulls.get(token), timestamp: block.timestamp }, options.thresholds, memory))
  }
  return out
}

export function riskItem(token: string, symbol: string | null, risk: TokenRisk, timestamp: number): RiskItem {
  return { tokenAddress: token, tokenSymbol: symbol, ...risk, timestamp }
}
