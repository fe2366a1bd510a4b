import type { Hash } from 'viem'
import { createLruCache } from './lruCache.js'

/** The (txHash, logIndex) pairs emitted recently: a repeat of a range is not emitted twice. */
export type RecentLogs = {
  has(txHash: Hash, logIndex: number): boolean
  add(txHash: Hash, logIndex: number): void
  /** Forgets a transaction's logs (its block was reorged out: the new branch may carry it again). */
  forget(txHash: Hash): void
}

/**
 * Creates a bounded set of recently emitted logs, grouped by transaction (at most `maxTxs` transactions).
 *
 * @example
 * const recent = createRecentLogs(50_000)
 * if (!recent.has(log.txHash, log.logIndex)) emit(log)
 */
export function createRecentLogs(maxTxs: number): RecentLogs {
  const byTx = createLruCache<string, Set<number>>(maxTxs)
  return {
    has: (txHash, logIndex) => byTx.get(txHash.toLowerCase())?.has(logIndex) ?? false,
    add(txHash, logIndex) {
      const key = txHash.toLowerCase()
      const set = byTx.get(key) ?? new Set<number>()
      set.add(logIndex)
      byTx.set(key, set)
    },
    forget: (txHash) => void byTx.delete(txHash.toLowerCase()),
  }
}
