import { describe, expect, it } from 'vitest'
import { mulberry32 } from '../devnet/random.js'
import { encodeData } from '../protocol/serverMessages.js'
import { dataEnvelope, dataFrame, itemBytes } from './dataFrame.js'
import { textFrame } from './wireFrame.js'

/** The frame the protocol's string encoder gives: the reference. */
const reference = (jsons: string[], positions: number[], seq: number) => textFrame(encodeData('trades', 'trades', seq, positions.map((i) => jsons[i]!))).wire

const item = (i: number, size: number) => JSON.stringify({ i, note: 'é€🙂x'.repeat(size) })

describe('data frames from item bytes', () => {
  const jsons = Array.from({ length: 40 }, (_, i) => item(i, i % 7))
  const bytes = itemBytes(jsons)

  it('keeps every item as its UTF-8 slice, neighbours one comma apart', () => {
    expect(bytes.bytes.toString()).toBe(jsons.join(','))
    jsons.forEach((json, i) => expect(bytes.bytes.subarray(bytes.starts[i], bytes.ends[i]).toString()).toBe(json))
  })

  it.each([
    ['one item', [5]],
    ['the first and the last', [0, 39]],
    ['one run', [3, 4, 5, 6]],
    ['runs and singles', [0, 1, 2, 7, 9, 10, 38, 39]],
    ['every item', Array.from({ length: 40 }, (_, i) => i)],
  ])('frames %s byte for byte as encodeData', (_name, positions) => {
    const { wire, payload } = dataFrame(dataEnvelope('trades', 77), bytes, positions)
    expect(wire.equals(reference(jsons, positions, 77))).toBe(true)
    expect(payload.buffer).toBe(wire.buffer)
    expect(JSON.parse(payload.toString())).toEqual({ type: 'data', channel: 'trades', data: { trades: positions.map((i) => JSON.parse(jsons[i]!)) }, seq: 77 })
  })

  it('matches encodeData for random selections across the 125 and 65,535 byte header sizes', () => {
    const rand = mulberry32(7)
    const sizes = [0, 1, 3, 20, 400, 3000]
    const many = Array.from({ length: 60 }, (_, i) => item(i, sizes[i % sizes.length]!))
    const all = itemBytes(many)
    const lengths = new Set<number>()
    for (let n = 0; n < 300; n++) {
      const positions = many.map((_, i) => i).filter(() => rand() < (n % 3 === 0 ? 0.05 : n % 3 === 1 ? 0.3 : 0.9))
      if (positions.length === 0) continue
      const wire = dataFrame(dataEnvelope('trades', n), all, positions).wire
      expect(wire.equals(reference(many, positions, n))).toBe(true)
      lengths.add(wire[1]! < 126 ? 0 : wire[1] === 126 ? 1 : 2)
    }
    expect([...lengths].sort()).toEqual([0, 1, 2])
  })
})
