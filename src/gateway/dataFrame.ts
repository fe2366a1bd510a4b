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

/**
 * The `data` frame of the items at `positions` (ascending), assembled from their bytes: byte for
 * byte `textFrame(encodeData(channel, dataKey[channel], seq, those items))`, without joining or
 * encoding a string per selection (a selection's frame is copies of slices, one per run).
 *
 * @example
 * const items = itemBytes(message.items.map((item) => item.json))
 * const { wire } = dataFrame('trades', message.seq, items, [0, 2, 3]) // two slices: [0] and [2, 3]
 */
export function dataFrame(channel: Channel, seq: number, items: ItemBytes, positions: readonly number[]): TextFrame {
  // The message around the items, from the protocol's own encoder (ASCII: channel names and digits).
  const empty = encodeData(channel, dataKey[channel], seq, [])
  const cut = empty.indexOf('[]') + 1
  const { starts, ends } = items
  let length = empty.length + Math.max(0, positions.length - 1)
  for (const i of positions) length += ends[i]! - starts[i]!
  const { wire, offset } = allocFrame(length)
  let at = offset + wire.write(empty, offset, cut, 'latin1')
  for (let p = 0; p < positions.length; p++) {
    const first = positions[p]!
    let last = first
    while (positions[p + 1] === last + 1) last = positions[++p]!
    if (at > offset + cut) wire[at++] = COMMA
    at += items.bytes.copy(wire, at, starts[first], ends[last])
  }
  wire.write(empty.slice(cut), at, 'latin1')
  return { wire, payload: wire.subarray(offset) }
}
