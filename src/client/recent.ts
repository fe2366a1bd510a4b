import type { AlertItem, TokenItem, TradeItem } from '../protocol/items.js'
import type { ChannelEvent } from './client.js'

type Keeps = { trades: TradeItem; tokens: TokenItem; alerts: AlertItem }

/** The newest items of a channel, with reorg retractions applied: what a feed on screen shows. */
export type RecentItems<C extends keyof Keeps> = {
  /** Applies one event of the channel's subscription (data adds, reorg removes, the rest is ignored). */
  apply(event: ChannelEvent<C>): void
  /** Newest first. */
  items(): readonly Keeps[C][]
}

const identity: { [C in keyof Keeps]: (item: Keeps[C]) => string } = {
  trades: (t) => `${t.txHash}:${t.logIndex ?? ''}`,
  tokens: (t) => t.address,
  alerts: (a) => a.id,
}

const retracted: { [C in keyof Keeps]: (item: Keeps[C], txHashes: ReadonlySet<string>, ids: ReadonlySet<string>) => boolean } = {
  trades: (t, tx) => tx.has(t.txHash),
  tokens: (t, tx) => tx.has(t.txHash),
  alerts: (a, tx, ids) => ids.has(a.id) || (typeof a.data['txHash'] === 'string' && tx.has(a.data['txHash'])),
}

/**
 * Keeps the `limit` newest trades, launches or alerts of a subscription, dropping what a reorg
 * retracted (trades and launches by `txHash`, alerts by `id`) and never holding one twice.
 *
 * @example
 * const trades = recentItems('trades', 100)
 * client.subscribe('trades', { tokens: ['*'] }, (event) => { trades.apply(event); render(trades.items()) })
 */
export function recentItems<C extends keyof Keeps>(channel: C, limit: number): RecentItems<C> {
  let list: Keeps[C][] = []
  const keyOf = identity[channel] as (item: Keeps[C]) => string
  return {
    apply(event) {
      if (event.type === 'data') {
        const seen = new Set(list.map(keyOf))
        const fresh = (event.items as Keeps[C][]).filter((item) => !seen.has(keyOf(item)))
        // Messages hold items oldest first; the recent-launches snapshot is newest first already.
        const newestFirst = event.snapshot && channel === 'tokens' ? fresh : fresh.toReversed()
        list = [...newestFirst, ...list].slice(0, limit)
      } else if (event.type === 'reorg') {
        const tx = new Set(event.txHashes)
        const ids = new Set(event.ids)
        const gone = retracted[channel] as (item: Keeps[C], tx: ReadonlySet<string>, ids: ReadonlySet<string>) => boolean
        list = list.filter((item) => !gone(item, tx, ids))
      }
    },
    items: () => list,
  }
}
