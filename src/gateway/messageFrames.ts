import type { BusMessage } from '../bus/bus.js'
import { dataEnvelope, dataFrame, itemBytes, type DataEnvelope, type ItemBytes } from './dataFrame.js'
import type { Frame } from './outbox.js'

type DataMessage = Extract<BusMessage, { kind: 'data' }>

/** The frames of one data message: the whole message's, and each distinct selection's, each built once. */
export type MessageFrames = {
  /** Every item. */
  full(): Frame
  /** The items at `positions` (ascending, at least one). */
  select(positions: readonly number[]): Frame
}

/**
 * @example
 * const frames = createMessageFrames(message, () => counters.framesEncoded++)
 * deliver(client, channel, frames.select([0, 3])) // a second select([0, 3]) returns the same frame
 */
export function createMessageFrames(message: DataMessage, onEncode: () => void): MessageFrames {
  /** The items' bytes and the message's text around them, built on the first frame. */
  let parts: { envelope: DataEnvelope; items: ItemBytes } | undefined
  let whole: Frame | undefined
  /** Selections by `selectionHash`, compared in full on a hit. */
  const built = new Map<number, { positions: readonly number[]; frame: Frame }[]>()

  function encode(positions: readonly number[]): Frame {
    onEncode()
    parts ??= { envelope: dataEnvelope(message.channel, message.seq), items: itemBytes(message.items.map((item) => item.json)) }
    const { wire, payload } = dataFrame(parts.envelope, parts.items, positions)
    const frame: Frame = { seq: message.seq, bytes: payload, wire }
    // Channels whose items replace older ones per key (prices) let a lagging client keep the newest.
    if (message.items[positions[0]!]!.route.replace !== undefined) {
      frame.latest = { keys: positions.map((i) => message.items[i]!.route.replace!), items: positions.map((i) => message.items[i]!.json) }
    }
    return frame
  }

  function full(): Frame {
    return (whole ??= encode(message.items.map((_, i) => i)))
  }

  return {
    full,
    select(positions) {
      if (positions.length === message.items.length) return full()
      const hash = selectionHash(positions)
      const bucket = built.get(hash)
      const found = bucket?.find((b) => sameSelection(b.positions, positions))
      if (found) return found.frame
      const frame = encode(positions)
      if (bucket) bucket.push({ positions, frame })
      else built.set(hash, [{ positions, frame }])
      return frame
    },
  }
}

/** FNV-1a over the positions: equal selections hash equal; a collision is settled by `sameSelection`. */
function selectionHash(positions: readonly number[]): number {
  let hash = 0x811c9dc5
  for (const i of positions) hash = Math.imul(hash ^ i, 0x01000193)
  return hash
}

function sameSelection(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
