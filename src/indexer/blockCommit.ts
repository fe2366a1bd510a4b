import type { EncodedItem } from '../bus/bus.js'
import { dataPublication, encodeItems, reorgPublication } from '../bus/publication.js'
import type { BlockCommit } from '../ledger/ledger.js'
import type { Bucket } from '../market/tokenMarket.js'
import type { AlertItem, Channel, PriceItem, TokenItem, TradeItem } from '../protocol/items.js'
import { emptyDelta, type TokenText } from '../state/stateStore.js'

/** What one block produced, before encoding. */
export type BlockItems = {
  tokens: TokenItem[]
  trades: TradeItem[]
  prices: PriceItem[]
  alerts: AlertItem[]
  /** Minute buckets the block wrote, per token. */
  buckets: { token: string; bucket: Bucket }[]
  /** Tokens whose buckets before `minute` were evicted. */
  trims: { token: string; minute: number }[]
}

/** What a reorg needs later to take a block's read-model entries back: the exact texts it added. */
export type BlockTexts = { launches: TokenText[]; trades: TokenText[] }

/**
 * Encodes a block's items once — each JSON text serves the publication and the read model alike —
 * into the block's commit, and keeps the texts a reorg would retract.
 *
 * @example
 * const { commit, texts } = blockCommit({ tokens: [], trades: [trade], prices: [price], alerts: [], buckets, trims: [] })
 * await ledger.commit(commit)
 */
export function blockCommit(items: BlockItems): { commit: BlockCommit; texts: BlockTexts } {
  const tokens = encodeItems('tokens', items.tokens)
  const trades = encodeItems('trades', items.trades)
  const prices = encodeItems('prices', items.prices)
  const alerts = encodeItems('alerts', items.alerts)
  const keyed = <T>(encoded: EncodedItem[], source: T[], token: (item: T) => string): TokenText[] => encoded.map((e, i) => ({ token: token(source[i]!), json: e.json }))
  const launches = keyed(tokens, items.tokens, (t) => t.address)
  const tradeTexts = keyed(trades, items.trades, (t) => t.tokenAddress)
  const delta = {
    ...emptyDelta(),
    launches,
    trades: tradeTexts,
    prices: keyed(prices, items.prices, (p) => p.tokenAddress),
    buckets: items.buckets.map(({ token, bucket }) => ({ token, minute: bucket.minute, json: JSON.stringify(bucket) })),
    trims: items.trims,
  }
  const publications: BlockCommit['publications'] = []
  const add = (channel: Channel, encoded: EncodedItem[]) => encoded.length > 0 && publications.push({ channel, publication: dataPublication(encoded) })
  add('tokens', tokens)
  add('trades', trades)
  add('prices', prices)
  add('alerts', alerts)
  return { commit: { publications, delta }, texts: { launches, trades: tradeTexts } }
}

export type Retraction = {
  fromBlock: number
  toBlock: number
  /** Tx hashes of the retracted items, per channel. */
  txHashes: { tokens: string[]; trades: string[]; alerts: string[] }
  /** The removed blocks' read-model entries. */
  texts: BlockTexts
  /** Buckets rewritten by taking the removed trades out. */
  buckets: { token: string; bucket: Bucket }[]
}

/**
 * A reorg's commit: `reorg` notices on the channels whose items were retracted, and the read model
 * without the removed blocks' launches and trades.
 *
 * @example
 * await ledger.commit(reorgCommit({ fromBlock: 101, toBlock: 102, txHashes, texts, buckets }))
 */
export function reorgCommit(r: Retraction): BlockCommit {
  const publications: BlockCommit['publications'] = []
  for (const channel of ['tokens', 'trades', 'alerts'] as const) {
    if (r.txHashes[channel].length > 0) publications.push({ channel, publication: reorgPublication(r.fromBlock, r.toBlock, r.txHashes[channel]) })
  }
  const delta = {
    ...emptyDelta(),
    unlaunches: r.texts.launches,
    untrades: r.texts.trades,
    buckets: r.buckets.map(({ token, bucket }) => ({ token, minute: bucket.minute, json: JSON.stringify(bucket) })),
  }
  return { publications, delta }
}
