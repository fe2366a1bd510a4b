import type { Channel, ChannelItems } from '../protocol/items.js'
import { routeOf } from '../protocol/routing.js'
import type { EncodedItem, Publication } from './bus.js'

/**
 * Encodes items for the bus: each JSON-stringified once, with its routing metadata.
 *
 * @example
 * encodeItems('trades', [trade]) // [{ json: '{"txHash":…}', route: { keys: ['t:0x…', 'w:0x…'], valueUsd: 5 } }]
 */
export function encodeItems<C extends Channel>(channel: C, items: readonly ChannelItems[C][]): EncodedItem[] {
  return items.map((item) => Object.freeze({ json: JSON.stringify(item), route: routeOf(channel, item) }))
}

/**
 * A `data` publication of already encoded items.
 *
 * @example
 * await bus.publish('trades', dataPublication(encodeItems('trades', [trade])))
 */
export function dataPublication(items: readonly EncodedItem[]): Publication {
  return Object.freeze({ kind: 'data', items: Object.freeze([...items]) })
}

/**
 * A `reorg` publication: the items of these transactions, in these blocks, are retracted; `ids`
 * names retracted alerts (price and volume alerts have no transaction).
 */
export function reorgPublication(fromBlock: number, toBlock: number, txHashes: readonly string[], ids?: readonly string[]): Publication {
  return Object.freeze({ kind: 'reorg', fromBlock, toBlock, txHashes: Object.freeze([...txHashes]), ...(ids ? { ids: Object.freeze([...ids]) } : {}) })
}
