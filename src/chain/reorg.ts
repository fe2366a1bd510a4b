import type { Hash } from 'viem'
import type { WindowBlock } from './checkpoint.js'
import type { BlockRef, ReorgEvent } from './events.js'
import type { ChainRpc } from './rpc.js'

/** Where our branch and the canonical chain meet, and what of ours is gone (newest first). */
export type ReorgPlan = {
  commonAncestor: { number: bigint; hash: Hash }
  removed: WindowBlock[]
  /** The ancestor is older than the window: the reorg is deeper than the finality depth. */
  unrecoverable: boolean
}

/**
 * Walks the window back from its newest block, comparing each remembered hash with the canonical
 * block at the same number, until they agree. If nothing in the window agrees, the reorg is deeper
 * than the window: the canonical parent of the oldest remembered block is taken as the ancestor.
 *
 * @example
 * const plan = await findCommonAncestor(rpc, window)
 */
export async function findCommonAncestor(rpc: ChainRpc, window: readonly WindowBlock[]): Promise<ReorgPlan> {
  const removed: WindowBlock[] = []
  for (let i = window.length - 1; i >= 0; i--) {
    const ours = window[i] as WindowBlock
    const canonical = await rpc.headerByNumber(ours.number)
    if (canonical?.hash === ours.hash) {
      return { commonAncestor: { number: ours.number, hash: ours.hash }, removed, unrecoverable: false }
    }
    removed.push(ours)
  }
  const below = (window[0]?.number ?? 1n) - 1n
  const canonical = await rpc.headerByNumber(below < 0n ? 0n : below)
  if (!canonical) throw new Error(`block ${below} not found while recovering from a deep reorg`)
  return { commonAncestor: { number: canonical.number, hash: canonical.hash }, removed, unrecoverable: true }
}

/** The `reorg` event for a plan: removed blocks newest first, distinct tx hashes of emitted logs. */
export function reorgEvent(plan: ReorgPlan): ReorgEvent {
  const removed: BlockRef[] = plan.removed.map(({ number, hash, parentHash }) => ({ number, hash, parentHash }))
  const txHashes = [...new Set(plan.removed.toReversed().flatMap((b) => b.txHashes))]
  return { kind: 'reorg', commonAncestor: plan.commonAncestor, removed, txHashes }
}
