import type { PriceItem, RiskItem } from '../protocol/items.js'
import { riskItem } from '../risk/blockRisk.js'
import { holderRows } from '../risk/figures.js'
import type { TokenText } from '../state/stateStore.js'
import { bucketChanges, priceOf, type BlockResult } from './step.js'
import type { IndexerState } from './state.js'
import type { ChangeSet, UndoEntry } from './tables.js'

/**
 * What a reorg needs to take a published block back, kept until the block is final: the values its
 * step replaced, and what it published (tx hashes per channel, alert ids, the read model's texts).
 */
export type BlockRecord = {
  number: number
  undo: UndoEntry[]
  retract: { tokens: string[]; trades: string[]; alerts: string[]; alertIds: string[] }
  texts: { launches: TokenText[]; trades: TokenText[] }
}

/** What undoing blocks produced: corrected prices, the read model's bucket changes, and what to retract. */
export type Undone = {
  prices: PriceItem[]
  /** Followed launches whose figures the removed blocks had changed, as restored (with their holders). */
  risk: RiskItem[]
  holders: BlockResult['holders']
  buckets: BlockResult['buckets']
  retract: BlockRecord['retract']
  texts: BlockRecord['texts']
  changes: ChangeSet
}

/** Tokens whose market the changes touched: their price is re-sent after a reorg. */
function affectedTokens(state: IndexerState, changes: ChangeSet): Set<string> {
  const tokens = new Set<string>()
  const keys = (table: string) => changes.touched.get(table) ?? new Set<string>()
  for (const key of keys('buckets')) tokens.add(key.slice(0, key.lastIndexOf('|')))
  for (const table of ['pairsOf', 'meta', 'priced', 'launched']) for (const token of keys(table)) tokens.add(token)
  for (const pair of keys('reserves')) {
    const role = state.store.get('roles', pair)
    if (role?.kind === 'token') tokens.add(role.token)
    // CORE/USD moved back: every priced token's USD figures change.
    if (role?.kind === 'usd') for (const token of state.store.tables.priced.keys()) tokens.add(token)
  }
  return tokens
}

/**
 * Takes blocks back, newest first: every value their steps replaced is put back, exactly (buckets'
 * high/low/close and volume, reserves, launches, creators, cooldowns, …), then the affected tokens'
 * prices are computed again from the restored state — also for tokens the new branch will not touch.
 *
 * @example
 * const undone = undoBlocks(state, removedRecordsNewestFirst)
 */
export function undoBlocks(state: IndexerState, records: readonly BlockRecord[]): Undone {
  const { store } = state
  store.begin()
  for (const record of records) store.undo(record.undo)
  const undone = store.end()
  const now = store.get('clock', 'now') ?? 0
  store.begin()
  const prices = [...affectedTokens(state, undone)].flatMap((token) => priceOf(state, token, now) ?? [])
  const priced = store.end()
  const changes: ChangeSet = { undo: [], touched: new Map(undone.touched) }
  for (const [table, keys] of priced.touched) changes.touched.set(table, new Set([...(changes.touched.get(table) ?? []), ...keys]))
  const restored = [...(undone.touched.get('risk') ?? [])].flatMap((token) => {
    const risk = store.get('risk', token)
    return risk ? [{ token, risk }] : []
  })
  const oldestFirst = records.toReversed()
  const all = <K extends keyof BlockRecord['retract']>(k: K) => [...new Set(oldestFirst.flatMap((r) => r.retract[k]))]
  return {
    prices,
    risk: restored.map(({ token, risk }) => riskItem(token, store.get('meta', token)?.symbol ?? null, risk, now)),
    holders: restored.map(({ token }) => ({ token, rows: holderRows(state, token) })),
    buckets: bucketChanges(state, undone),
    retract: { tokens: all('tokens'), trades: all('trades'), alerts: all('alerts'), alertIds: all('alertIds') },
    texts: { launches: oldestFirst.flatMap((r) => r.texts.launches), trades: oldestFirst.flatMap((r) => r.texts.trades) },
    changes,
  }
}
