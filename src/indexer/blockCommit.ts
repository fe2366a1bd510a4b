import type { EncodedItem } from '../bus/bus.js'
import { dataPublication, encodeItems, reorgPublication } from '../bus/publication.js'
import type { BlockCommit } from '../ledger/ledger.js'
import type { Channel, PriceItem, RiskItem } from '../protocol/items.js'
import { emptyDelta, type StateDelta, type TokenText } from '../state/stateStore.js'
import type { BlockRecord, Undone } from './reorg.js'
import type { BlockResult } from './step.js'

type Publications = BlockCommit['publications']

function keyed<T>(encoded: EncodedItem[], source: readonly T[], token: (item: T) => string): TokenText[] {
  return encoded.map((e, i) => ({ token: token(source[i]!), json: e.json }))
}

function bucketDelta(buckets: BlockResult['buckets']): Pick<StateDelta, 'buckets' | 'unbuckets'> {
  return {
    buckets: buckets.flatMap(({ token, minute, bucket }) => (bucket ? [{ token, minute, json: JSON.stringify(bucket) }] : [])),
    unbuckets: buckets.flatMap(({ token, minute, bucket }) => (bucket ? [] : [{ token, minute }])),
  }
}

function riskDelta(encoded: EncodedItem[], items: readonly RiskItem[], holders: BlockResult['holders']): Pick<StateDelta, 'risk' | 'holders'> {
  return { risk: keyed(encoded, items, (r) => r.tokenAddress), holders: holders.map(({ token, rows }) => ({ token, json: JSON.stringify(rows) })) }
}

function add(publications: Publications, channel: Channel, encoded: EncodedItem[]): void {
  if (encoded.length > 0) publications.push({ channel, publication: dataPublication(encoded) })
}

/**
 * Encodes a block's items once — each JSON text serves the publication and the read model alike —
 * into its commit, and what a reorg would need to retract them.
 *
 * @example
 * const { commit, retract, texts } = blockCommit(applyBlock(state, event, meta, options))
 * await ledger.commit(commit)
 */
export function blockCommit(result: BlockResult): { commit: BlockCommit } & Pick<BlockRecord, 'retract' | 'texts'> {
  const tokens = encodeItems('tokens', result.tokens)
  const trades = encodeItems('trades', result.trades)
  const prices = encodeItems('prices', result.prices)
  const alerts = encodeItems('alerts', result.alerts)
  const risk = encodeItems('risk', result.risk)
  const texts = { launches: keyed(tokens, result.tokens, (t) => t.address), trades: keyed(trades, result.trades, (t) => t.tokenAddress) }
  const delta: StateDelta = {
    ...emptyDelta(),
    launches: texts.launches,
    trades: texts.trades,
    prices: keyed(prices, result.prices, (p) => p.tokenAddress),
    ...riskDelta(risk, result.risk, result.holders),
    ...bucketDelta(result.buckets),
  }
  const publications: Publications = []
  add(publications, 'tokens', tokens)
  add(publications, 'trades', trades)
  add(publications, 'prices', prices)
  add(publications, 'alerts', alerts)
  add(publications, 'risk', risk)
  const retract = {
    tokens: result.tokens.map((t) => t.txHash),
    trades: [...new Set(result.trades.map((t) => t.txHash))],
    alerts: [...new Set(result.alerts.flatMap((a) => (typeof a.data['txHash'] === 'string' ? [a.data['txHash']] : [])))],
    alertIds: result.alerts.map((a) => a.id),
  }
  return { commit: { publications, delta }, retract, texts }
}

/**
 * A reorg's commit: `reorg` notices on the channels whose items were retracted (alerts also by
 * `ids`), the corrected prices of the affected tokens, and the read model without the removed
 * blocks' launches and trades and with their buckets put back.
 *
 * @example
 * await ledger.commit(reorgCommit(undoBlocks(state, removed), { fromBlock: 101, toBlock: 102 }))
 */
export function reorgCommit(undone: Undone, range: { fromBlock: number; toBlock: number }): BlockCommit {
  const { retract } = undone
  const publications: Publications = []
  const notice = (channel: Channel, txHashes: string[], ids?: string[]) =>
    (txHashes.length > 0 || (ids?.length ?? 0) > 0) && publications.push({ channel, publication: reorgPublication(range.fromBlock, range.toBlock, txHashes, ids) })
  notice('tokens', retract.tokens)
  notice('trades', retract.trades)
  notice('alerts', retract.alerts, retract.alertIds)
  const prices = encodeItems('prices', undone.prices as PriceItem[])
  add(publications, 'prices', prices)
  const risk = encodeItems('risk', undone.risk)
  add(publications, 'risk', risk)
  const delta: StateDelta = {
    ...emptyDelta(),
    unlaunches: undone.texts.launches,
    untrades: undone.texts.trades,
    prices: keyed(prices, undone.prices, (p) => p.tokenAddress),
    ...riskDelta(risk, undone.risk, undone.holders),
    ...bucketDelta(undone.buckets),
  }
  return { publications, delta }
}
