/**
 * Launch intelligence, the facts: which tokens are followed, their balances (and their pairs' LP
 * balances) rebuilt from `Transfer` logs, who sniped, bundled or got tokens from the creator, the
 * taxes measured on real trades and the last sell check. Every change goes through the indexer's
 * journaled tables, so a reorg puts all of it back. No I/O: histories and sell checks are read
 * before the step (`reader.ts`).
 */
import type { BlockEvent, TransferRecord } from '../chain/events.js'
import type { IndexerState } from '../indexer/state.js'
import { pairRole, type QuoteConfig } from '../market/pairs.js'
import { balanceKey, burnAddresses, ZERO } from './holdings.js'

/** A followed token. `complete`: its balances are whole (every transfer since its mint was seen). */
export type TrackedToken = {
  creator: string
  /** The pair of its launch (its first liquidity); null before. */
  pair: string | null
  launchBlock: number | null
  complete: boolean
  /** Block time of its last transfer (idle tokens are forgotten). */
  lastActive: number
}

/** Labelled wallets of a token (sets, in the order first seen). */
export type Groups = { snipers: string[]; bundles: string[]; insiders: string[] }

/** Taxes (%) measured on the last buy and the last sell by a wallet other than the creator. */
export type Taxes = { buy: number | null; sell: number | null }

/** The last simulated sell: `honeypot` when a transfer to the pair reverted. */
export type SellCheck = { honeypot: boolean; block: number }

/** The latest buyer of a token (the wallet a sell check simulates), and when it bought. */
export type Buyer = { wallet: string; block: number }

export type RiskSettings = {
  /** Buys within this many blocks from the first liquidity (the launch block included) are sniping. */
  sniperBlocks: number
  /** Tokens without a transfer for this long (block time, s) are forgotten. */
  idleSeconds: number
}

/** What the logs of one block told about followed tokens, per transaction (taxes need a whole transaction). */
export type RiskScratch = {
  /** Tokens whose figures may have changed in the block. */
  touched: Set<string>
  txs: Map<string, TxActivity>
  /** Per token: the creator's LP balance before its first LP transfer of the block, and what it sent to the pair. */
  lpPulls: Map<string, { before: bigint; pulled: bigint; txHash: string }>
}

type TxActivity = {
  swaps: { token: string; type: 'buy' | 'sell'; to: string }[]
  transfers: { token: string; sender: string; recipient: string; value: bigint }[]
}

export function createRiskScratch(): RiskScratch {
  return { touched: new Set(), txs: new Map(), lpPulls: new Map() }
}

function activity(scratch: RiskScratch, txHash: string): TxActivity {
  let a = scratch.txs.get(txHash)
  if (!a) scratch.txs.set(txHash, (a = { swaps: [], transfers: [] }))
  return a
}

/**
 * Moves `value` of `contract` from `sender` to `recipient` in the `balances` table. A transfer to the
 * zero address by the contract itself (a pair burning LP tokens it was sent) lowers the supply; any
 * other transfer to it keeps the tokens there, burned. Returns false when the sender had less than it
 * sent (its history is not whole).
 */
export function moveBalance(state: IndexerState, contract: string, sender: string, recipient: string, value: bigint): boolean {
  const { store } = state
  let whole = true
  if (sender !== ZERO) {
    const key = balanceKey(contract, sender)
    const left = (store.get('balances', key) ?? 0n) - value
    if (left < 0n) whole = false
    if (left > 0n) store.set('balances', key, left)
    else store.remove('balances', key)
  }
  if (recipient === ZERO && sender !== ZERO && sender === contract) return whole
  if (value > 0n) {
    const key = balanceKey(contract, recipient)
    store.set('balances', key, (store.get('balances', key) ?? 0n) + value)
  }
  return whole
}

/**
 * Starts following a token: from its creation (`history` null: every transfer comes with the blocks), or
 * from a pair created for an older token, with its earlier transfers (`history`; `undefined`: they could
 * not be read, so its balances are not whole). `supply`: its total supply, when known, to tell whether
 * the history holds every transfer since the mint.
 */
export function startTracking(state: IndexerState, token: string, creator: string, now: number, history: readonly TransferRecord[] | null | undefined, supply: bigint | null): void {
  const { store } = state
  if (store.get('tracked', token)) return
  let complete = history !== undefined
  for (const t of history ?? []) if (!moveBalance(state, token, t.sender, t.recipient, t.value)) complete = false
  if (history && complete) complete = supply !== null && sumOf(state.holdings.get(token)) === supply
  store.set('tracked', token, { creator, pair: null, launchBlock: null, complete, lastActive: now })
  for (const t of history ?? []) if (t.sender === creator && !burnAddresses.has(t.recipient) && t.recipient !== token) addTo(state, token, 'insiders', t.recipient)
}

/** A token a block starts following: its creator, its pair (null until one is seen), and whether its earlier transfers must be read. */
export type TrackStart = { token: string; creator: string; pair: string | null; needsHistory: boolean }

/**
 * The tokens a block starts following, before its logs are applied (a token's first transfers precede
 * the log that names it): launcher tokens from their creation, and the token of every new token/CORE
 * pair not followed yet — with `history` (its earlier transfers) when the block did not create it.
 */
export function tokensToTrack(state: IndexerState, event: BlockEvent, quotes: QuoteConfig): TrackStart[] {
  const created = new Map(event.logs.flatMap((l) => (l.kind === 'tokenCreated' ? [[l.token as string, l.creator as string] as const] : [])))
  const found: TrackStart[] = [...created].map(([token, creator]) => ({ token, creator, pair: null, needsHistory: false }))
  for (const log of event.logs) {
    if (log.kind !== 'pairCreated') continue
    const role = state.store.get('roles', log.pair) ?? pairRole(log.token0, log.token1, quotes)
    if (role.kind !== 'token') continue
    const creator = created.get(role.token) ?? state.store.get('creators', role.token) ?? log.from
    found.push({ token: role.token, creator, pair: log.pair, needsHistory: !created.has(role.token) && !state.store.get('tracked', role.token) })
  }
  return found
}

/** Remembers that `pair` (its LP token) belongs to `token`: its transfers are followed from now on. */
export function trackPair(state: IndexerState, token: string, pair: string): void {
  if (state.store.get('tracked', token) && !state.store.get('lpOf', pair)) state.store.set('lpOf', pair, token)
}

/** The launch of a followed token: its first liquidity, on `pair`, in block `block`. */
export function markLaunch(state: IndexerState, token: string, pair: string, block: number): void {
  const tracked = state.store.get('tracked', token)
  if (tracked && tracked.launchBlock === null) state.store.set('tracked', token, { ...tracked, pair, launchBlock: block })
}

function addTo(state: IndexerState, token: string, group: keyof Groups, wallet: string): void {
  const groups = state.store.get('groups', token) ?? { snipers: [], bundles: [], insiders: [] }
  if (groups[group].includes(wallet)) return
  state.store.set('groups', token, { ...groups, [group]: [...groups[group], wallet] })
}

/** A `Transfer` of a followed token or of a followed pair's LP token. */
export function onTransfer(state: IndexerState, scratch: RiskScratch, log: { token: string; sender: string; recipient: string; value: bigint; txHash: string }, now: number): void {
  const { store } = state
  const lpToken = store.get('lpOf', log.token)
  const token = lpToken ?? log.token
  const tracked = store.get('tracked', token)
  if (!tracked) return
  if (lpToken !== undefined) {
    if (log.sender === tracked.creator && log.recipient === log.token) {
      const pull = scratch.lpPulls.get(token) ?? { before: store.get('balances', balanceKey(log.token, tracked.creator)) ?? 0n, pulled: 0n, txHash: log.txHash }
      scratch.lpPulls.set(token, { ...pull, pulled: pull.pulled + log.value, txHash: log.txHash })
    }
    moveBalance(state, log.token, log.sender, log.recipient, log.value)
  } else {
    const whole = moveBalance(state, token, log.sender, log.recipient, log.value)
    if (!whole && tracked.complete) store.set('tracked', token, { ...tracked, complete: false })
    const pairs = store.get('pairsOf', token) ?? []
    if (log.sender === tracked.creator && !pairs.includes(log.recipient) && !burnAddresses.has(log.recipient) && log.recipient !== token) addTo(state, token, 'insiders', log.recipient)
    activity(scratch, log.txHash).transfers.push({ token, sender: log.sender, recipient: log.recipient, value: log.value })
  }
  const current = store.get('tracked', token)!
  if (current.lastActive !== now) store.set('tracked', token, { ...current, lastActive: now })
  scratch.touched.add(token)
}

/** A swap of a followed token on one of its pairs: snipers and bundles in the launch window, the latest buyer. */
export function onTokenSwap(state: IndexerState, scratch: RiskScratch, settings: RiskSettings, swap: { token: string; type: 'buy' | 'sell'; to: string; txHash: string; block: number }): void {
  const tracked = state.store.get('tracked', swap.token)
  if (!tracked) return
  activity(scratch, swap.txHash).swaps.push({ token: swap.token, type: swap.type, to: swap.to })
  scratch.touched.add(swap.token)
  if (swap.type !== 'buy' || swap.to === tracked.creator) return
  state.store.set('buyers', swap.token, { wallet: swap.to, block: swap.block })
  if (tracked.launchBlock !== null && swap.block < tracked.launchBlock + settings.sniperBlocks) addTo(state, swap.token, 'snipers', swap.to)
}

/**
 * The end of a block's logs: bundles (distinct buyers in one transaction of the sniping window, or in
 * the launch block) and taxes (from transactions with exactly one swap of the token).
 */
export function settleBlock(state: IndexerState, scratch: RiskScratch, settings: RiskSettings, block: number): void {
  const launchBuyers = new Map<string, Set<string>>()
  for (const tx of scratch.txs.values()) {
    const byToken = new Map<string, TxActivity['swaps']>()
    for (const s of tx.swaps) byToken.set(s.token, [...(byToken.get(s.token) ?? []), s])
    for (const [token, swaps] of byToken) {
      const tracked = state.store.get('tracked', token)!
      const buyers = [...new Set(swaps.filter((s) => s.type === 'buy' && s.to !== tracked.creator).map((s) => s.to))]
      const inWindow = tracked.launchBlock !== null && block < tracked.launchBlock + settings.sniperBlocks
      if (inWindow && buyers.length >= 2) for (const b of buyers) addTo(state, token, 'bundles', b)
      if (tracked.launchBlock === block) for (const b of buyers) launchBuyers.set(token, (launchBuyers.get(token) ?? new Set()).add(b))
      if (swaps.length === 1) measureTax(state, token, tracked, swaps[0]!, tx.transfers)
    }
  }
  for (const [token, buyers] of launchBuyers) if (buyers.size >= 2) for (const b of buyers) addTo(state, token, 'bundles', b)
}

function measureTax(state: IndexerState, token: string, tracked: TrackedToken, swap: TxActivity['swaps'][number], transfers: TxActivity['transfers']): void {
  const pairs = state.store.get('pairsOf', token) ?? []
  const mine = transfers.filter((t) => t.token === token)
  const taxes = state.store.get('taxes', token) ?? { buy: null, sell: null }
  if (swap.type === 'buy') {
    const out = mine.filter((t) => pairs.includes(t.sender))
    const sent = sum(out.map((t) => t.value))
    const received = sum(out.filter((t) => t.recipient === swap.to).map((t) => t.value))
    if (sent > 0n && swap.to !== tracked.creator) state.store.set('taxes', token, { ...taxes, buy: lossPercent(sent, received) })
    return
  }
  const into = mine.filter((t) => pairs.includes(t.recipient))
  const sellers = new Set(into.map((t) => t.sender))
  if (sellers.size !== 1) return
  const seller = [...sellers][0]!
  if (seller === tracked.creator) return
  const sent = sum(mine.filter((t) => t.sender === seller).map((t) => t.value))
  const received = sum(into.map((t) => t.value))
  if (sent > 0n) state.store.set('taxes', token, { ...taxes, sell: lossPercent(sent, received) })
}

/** The share of `sent` that did not arrive, in %, to two decimals. */
function lossPercent(sent: bigint, received: bigint): number {
  return Number(((sent - received) * 10_000n) / sent) / 100
}

const sum = (values: bigint[]) => values.reduce((a, b) => a + b, 0n)

export function sumOf(of: ReadonlyMap<string, bigint> | undefined): bigint {
  let total = 0n
  for (const v of of?.values() ?? []) total += v
  return total
}

/** Records a sell check's outcome. */
export function recordSellCheck(state: IndexerState, token: string, honeypot: boolean, block: number): void {
  if (state.store.get('tracked', token)) state.store.set('sellChecks', token, { honeypot, block })
}

/** Forgets tokens idle for longer than `settings.idleSeconds`: their balances, groups, taxes, checks. */
export function forgetIdle(state: IndexerState, settings: RiskSettings, now: number): void {
  const { store } = state
  for (const [token, tracked] of [...store.tables.tracked]) {
    if (now - tracked.lastActive <= settings.idleSeconds) continue
    const contracts = [token, ...(store.get('pairsOf', token) ?? []).filter((pair) => store.get('lpOf', pair) === token)]
    for (const contract of contracts) {
      for (const holder of [...(state.holdings.get(contract)?.keys() ?? [])]) store.remove('balances', balanceKey(contract, holder))
      if (contract !== token) store.remove('lpOf', contract)
    }
    for (const table of ['tracked', 'groups', 'taxes', 'sellChecks', 'buyers', 'risk'] as const) store.remove(table, token)
  }
}

/** The contracts whose `Transfer`s the chain follower brings: followed tokens and their pairs. */
export function followedContracts(state: IndexerState): string[] {
  return [...state.store.tables.tracked.keys(), ...state.store.tables.lpOf.keys()]
}
