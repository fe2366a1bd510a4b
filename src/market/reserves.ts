import type { Address } from 'viem'

export type Reserves = { reserve0: bigint; reserve1: bigint; block: bigint }

/**
 * Pair reserves from `Sync`, with a per-block journal so that a reorg can put back what the
 * removed blocks overwrote.
 */
export type ReserveBook = {
  get(pair: Address): Reserves | undefined
  set(pair: Address, reserve0: bigint, reserve1: bigint, block: bigint): void
  /** Undoes every change made in blocks after `block`. */
  revertAfter(block: bigint): void
  /** Forgets the journal up to and including `block` (those blocks can no longer be reorged). */
  finalize(block: bigint): void
  entries(): IterableIterator<[Address, Reserves]>
}

export function createReserveBook(): ReserveBook {
  const current = new Map<Address, Reserves>()
  const journal: { block: bigint; pair: Address; previous: Reserves | undefined }[] = []
  return {
    get: (pair) => current.get(pair),
    set(pair, reserve0, reserve1, block) {
      journal.push({ block, pair, previous: current.get(pair) })
      current.set(pair, { reserve0, reserve1, block })
    },
    revertAfter(block) {
      while (journal.length > 0 && journal.at(-1)!.block > block) {
        const { pair, previous } = journal.pop()!
        if (previous) current.set(pair, previous)
        else current.delete(pair)
      }
    },
    finalize(block) {
      const keep = journal.findIndex((entry) => entry.block > block)
      journal.splice(0, keep === -1 ? journal.length : keep)
    },
    entries: () => current.entries(),
  }
}
