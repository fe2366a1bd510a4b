import type { Hash } from 'viem'
import { describe, expect, it } from 'vitest'
import { extendWindow, rollbackWindow, windowAt } from './blockWindow.js'
import type { WindowBlock } from './checkpoint.js'
import { reorgEvent } from './reorg.js'

const hash = (n: number, branch = 'a'): Hash => `0x${branch.repeat(2)}${n.toString(16).padStart(62, '0')}`
const block = (n: number, txHashes: Hash[] = []): WindowBlock => ({ number: BigInt(n), hash: hash(n), parentHash: hash(n - 1), txHashes })
const numbers = (window: WindowBlock[]) => window.map((b) => Number(b.number))

describe('block window', () => {
  it('keeps the unfinalized blocks plus the newest final one as the anchor', () => {
    const { window, anchor } = extendWindow([block(1), block(2), block(3)], [block(4), block(5)], 2n)
    expect(numbers(window)).toEqual([2, 3, 4, 5])
    expect(anchor?.number).toBe(2n)
  })

  it('has no anchor while nothing is final', () => {
    expect(extendWindow([], [block(1), block(2)], 0n)).toEqual({ window: [block(1), block(2)], anchor: null })
  })

  it('ignores blocks at or below its tip (a repeated range)', () => {
    expect(numbers(extendWindow([block(1), block(2)], [block(2), block(3)], -1n).window)).toEqual([1, 2, 3])
  })

  it('after a backfill range keeps only the range tip, which is final', () => {
    const { window, anchor } = extendWindow([block(10)], [block(500)], 979n)
    expect(numbers(window)).toEqual([500])
    expect(anchor?.number).toBe(500n)
  })

  it('rolls back to a common ancestor, removed blocks newest first', () => {
    const { kept, removed } = rollbackWindow([block(1), block(2), block(3), block(4)], 2n)
    expect([numbers(kept), numbers(removed)]).toEqual([[1, 2], [4, 3]])
    expect(windowAt(kept, 2n)?.hash).toBe(hash(2))
    expect(windowAt(kept, 3n)).toBeUndefined()
  })

  it('builds a reorg event with distinct tx hashes of the removed blocks', () => {
    const tx = (n: number): Hash => `0x${n.toString(16).padStart(64, '0')}`
    const removed = [block(4, [tx(3)]), block(3, [tx(1), tx(2)])]
    expect(reorgEvent({ commonAncestor: { number: 2n, hash: hash(2) }, removed, unrecoverable: false })).toEqual({
      kind: 'reorg',
      commonAncestor: { number: 2n, hash: hash(2) },
      removed: [
        { number: 4n, hash: hash(4), parentHash: hash(3) },
        { number: 3n, hash: hash(3), parentHash: hash(2) },
      ],
      txHashes: [tx(1), tx(2), tx(3)],
    })
  })
})
