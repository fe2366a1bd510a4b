import { describe, expect, it } from 'vitest'
import type { BusMessage } from '../bus/bus.js'
import { dataPublication, encodeItems } from '../bus/publication.js'
import type { Channel, ChannelItems } from '../protocol/items.js'
import { price, trade } from '../../test/support/fixtures.js'
import { createMessageFrames } from './messageFrames.js'

const A = '0x' + 'a'.repeat(40)
const B = '0x' + 'b'.repeat(40)

function message<C extends Channel>(channel: C, items: ChannelItems[C][], seq = 9): Extract<BusMessage, { kind: 'data' }> {
  return { ...dataPublication(encodeItems(channel, items)), channel, seq, publishedAt: 0 } as Extract<BusMessage, { kind: 'data' }>
}

const parse = (bytes: Buffer) => JSON.parse(bytes.toString()) as { data: Record<string, unknown[]>; seq: number }

describe('message frames', () => {
  const trades = [trade(A, { valueUsd: 1 }), trade(B, { valueUsd: 2 }), trade(A, { valueUsd: 3 }), trade(B, { valueUsd: 4 })]

  it('builds each distinct selection once and shares it', () => {
    let encoded = 0
    const frames = createMessageFrames(message('trades', trades), () => encoded++)
    const first = frames.select([0, 2])
    expect(frames.select([0, 2])).toBe(first)
    const other = frames.select([1, 3])
    expect(other).not.toBe(first)
    expect(frames.select([0, 1, 2])).not.toBe(first)
    expect(encoded).toBe(3)
    expect(parse(first.bytes)).toEqual({ type: 'data', channel: 'trades', data: { trades: [trades[0], trades[2]] }, seq: 9 })
    expect(parse(other.bytes).data.trades).toEqual([trades[1], trades[3]])
  })

  it('gives a selection of every item the whole message frame', () => {
    let encoded = 0
    const frames = createMessageFrames(message('trades', trades), () => encoded++)
    expect(frames.select([0, 1, 2, 3])).toBe(frames.full())
    expect(encoded).toBe(1)
    expect(parse(frames.full().bytes).data.trades).toEqual(trades)
  })

  it('marks price frames with the token of each item, so a lagging client keeps the newest', () => {
    const prices = [price(A, 1), price(B, 2)]
    const m = message('prices', prices)
    const frame = createMessageFrames(m, () => {}).select([1])
    expect(m.items[1]!.route.replace).toBe(B)
    expect(frame.latest).toEqual({ keys: [m.items[1]!.route.replace], items: [m.items[1]!.json] })
    expect(createMessageFrames(message('trades', trades), () => {}).full().latest).toBeUndefined()
  })
})
