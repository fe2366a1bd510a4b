import type { Channel } from '../protocol/items.js'
import type { Route } from '../protocol/routing.js'
import type { BusMessage, EncodedItem, Publication } from './bus.js'

/**
 * A publication as text, for Redis (Stream entries and Pub/Sub messages): a one-line JSON header,
 * a newline, then the items' JSON texts joined by commas. The header holds each item's length and
 * route, so a reader slices the items out without parsing them (JSON text never holds a raw newline).
 *
 *     {"kind":"data","at":1700000000123,"items":[[212,{"keys":["t:0x…","w:0x…"],"valueUsd":5}],…]}
 *     {"txHash":…},{"txHash":…}
 */
type Header =
  | { kind: 'data'; at: number; items: [length: number, route: Route][] }
  | { kind: 'reorg'; at: number; fromBlock: number; toBlock: number; txHashes: string[]; ids?: string[] }

/**
 * @example
 * encodeWire(dataPublication(encodeItems('trades', [trade])), Date.now())
 */
export function encodeWire(publication: Publication, publishedAt: number): string {
  if (publication.kind === 'reorg') {
    const { fromBlock, toBlock, txHashes, ids } = publication
    return `${JSON.stringify({ kind: 'reorg', at: publishedAt, fromBlock, toBlock, txHashes: [...txHashes], ...(ids ? { ids: [...ids] } : {}) } satisfies Header)}\n`
  }
  const header: Header = { kind: 'data', at: publishedAt, items: publication.items.map((i) => [i.json.length, i.route]) }
  return `${JSON.stringify(header)}\n${publication.items.map((i) => i.json).join(',')}`
}

/** The message behind `encodeWire`'s text, numbered `seq` on `channel`. Throws on malformed text. */
export function decodeWire(channel: Channel, seq: number, text: string): BusMessage {
  const cut = text.indexOf('\n')
  if (cut < 0) throw new Error('bus message without header')
  const header = JSON.parse(text.slice(0, cut)) as Header
  if (header.kind === 'reorg') {
    const { fromBlock, toBlock, txHashes, ids } = header
    return Object.freeze({ kind: 'reorg', channel, seq, publishedAt: header.at, fromBlock, toBlock, txHashes: Object.freeze(txHashes), ...(ids ? { ids: Object.freeze(ids) } : {}) })
  }
  const items: EncodedItem[] = []
  let at = cut + 1
  for (const [length, route] of header.items) {
    items.push(Object.freeze({ json: text.slice(at, at + length), route: Object.freeze(route) }))
    at += length + 1
  }
  if (at - 1 !== text.length && header.items.length > 0) throw new Error('bus message length mismatch')
  return Object.freeze({ kind: 'data', channel, seq, publishedAt: header.at, items: Object.freeze(items) })
}
