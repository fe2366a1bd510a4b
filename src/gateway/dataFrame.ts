import { dataKey, type Channel } from '../protocol/items.js'
import { encodeData } from '../protocol/serverMessages.js'
import { allocFrame, type TextFrame } from './wireFrame.js'

/**
 * A bus message's items as UTF-8, encoded once: item `i` is `bytes[starts[i], ends[i])`, and
 * neighbours are separated by one comma, so a run of consecutive items is one slice.
 */
export type ItemBytes = { readonly bytes: Buffer; readonly starts: Uint32Array; readonly ends: Uint32Array }

export function itemBytes(jsons: readonly string[]): ItemBytes {
  const starts = new Uint32Array(jsons.length)
  const ends = new Uint32Array(jsons.length)
  let size = Math.max(0, jsons.length - 1)
  for (const json of jsons) size += Buffer.byteLength(json)
  const bytes = Buffer.allocUnsafe(size)
  let at = 0
  for (let i = 0; i < jsons.length; i++) {
    if (i > 0) bytes[at++] = COMMA
    starts[i] = at
    at += bytes.write(jsons[i]!, at)
    ends[i] = at
  }
  return { bytes, starts, ends }
}

const COMMA = 0x2c

/** The text of a `data` message around its items (ASCII: channel names and digits), once per message. */
export type DataEnvelope = { readonly head: string; readonly tail: string }

/** Taken from the protocol's own encoder, so the format has one source. */
export function dataEnvelope(channel: Channel, seq: number): DataEnvelope {
  const empty = encodeData(channel, dataKey[channel], seq, [])
  const cut = empty.indexOf('[]') + 1
  return { head: empty.slice(0, cut), tail: empty.slice(cut) }
}

/**
 * The `data` frame of the items at `positions` (ascending), assembled from their bytes: byte for
 * byte `textFrame(encodeData(channel, dataKey[channel], seq, those items))`, without joining or
 * encoding a string per selection (a selection's frame is copies of slices, one per run).
 *
 * @example
 * const items = itemBytes(message.items.map((item) => item.json))
 * const { wire } = dataFrame(dataEnvelope('trades', message.seq), items, [0, 2, 3]) // two slices: [0] and [2, 3]
 */
export function dataFrame({ head, tail }: DataEnvelope, items: ItemBytes, positions: readonly number[]): TextFrame {
  const { starts, ends } = items
  let length = head.length + tail.length + Math.max(0, positions.length - 1)
  for (const i of positions) length += ends[i]! - starts[i]!
  const { wire, offset } = allocFrame(length)
  const first = offset + wire.write(head, offset, 'latin1')
  let at = first
  for (let p = 0; p < positions.length; p++) {
    const from = positions[p]!
    let to = from
    while (positions[p + 1] === to + 1) to = positions[++p]!
    if (at > first) wire[at++] = COMMA
    at += items.bytes.copy(wire, at, starts[from], ends[to])
  }
  wire.write(tail, at, 'latin1')
  return { wire, payload: wire.subarray(offset) }
}
