import type { WindowBlock } from './checkpoint.js'

/**
 * Appends newly processed blocks to the unfinalized window (oldest first) and finalizes what fell out.
 * Blocks at or below `finalizedAt` are final; the newest of them stays as the window's anchor, so a reorg
 * of exactly the finality depth still finds its common ancestor. `anchor` is that block (or `null`).
 *
 * @example
 * const { window, anchor } = extendWindow(window, [block], head.number - 21n)
 */
export function extendWindow(
  window: readonly WindowBlock[],
  added: readonly WindowBlock[],
  finalizedAt: bigint,
): { window: WindowBlock[]; anchor: WindowBlock | null } {
  const tipBefore = window.at(-1)?.number ?? -1n
  const combined = [...window, ...added.filter((b) => b.number > tipBefore)]
  const anchor = combined.findLast((b) => b.number <= finalizedAt) ?? null
  const unfinalized = combined.filter((b) => b.number > finalizedAt)
  return { window: anchor ? [anchor, ...unfinalized] : unfinalized, anchor }
}

/** The window entry at `number`, if remembered. */
export function windowAt(window: readonly WindowBlock[], number: bigint): WindowBlock | undefined {
  return window.findLast((b) => b.number === number)
}

/** Splits the window at `ancestor`: what stays, and what is undone (newest first). */
export function rollbackWindow(window: readonly WindowBlock[], ancestor: bigint): { kept: WindowBlock[]; removed: WindowBlock[] } {
  return {
    kept: window.filter((b) => b.number <= ancestor),
    removed: window.filter((b) => b.number > ancestor).reverse(),
  }
}
