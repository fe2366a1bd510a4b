/**
 * Balances of tracked contracts (launched tokens and their pairs' LP tokens), rebuilt from
 * `Transfer` logs. The journaled truth is the `balances` table (`<contract>|<holder>` → balance);
 * `Holdings` is its derived index per contract, kept in step by the table's change hook.
 */

export const ZERO = '0x0000000000000000000000000000000000000000'
export const DEAD = '0x000000000000000000000000000000000000dEaD'
/** Where burned tokens go: never a holder. */
export const burnAddresses: ReadonlySet<string> = new Set([ZERO, DEAD])

/** contract → holder → balance (positive). */
export type Holdings = Map<string, Map<string, bigint>>

export const balanceKey = (contract: string, holder: string) => `${contract}|${holder}`

/** Keeps `holdings` in step with one `balances` row. */
export function followBalance(holdings: Holdings, key: string, next: bigint | undefined): void {
  const cut = key.indexOf('|')
  const contract = key.slice(0, cut)
  const holder = key.slice(cut + 1)
  let of = holdings.get(contract)
  if (next === undefined) {
    of?.delete(holder)
    if (of?.size === 0) holdings.delete(contract)
    return
  }
  if (!of) holdings.set(contract, (of = new Map()))
  of.set(holder, next)
}

/** The `n` largest balances among holders `keep` accepts, largest first. */
export function largest(of: ReadonlyMap<string, bigint> | undefined, n: number, keep: (holder: string) => boolean = () => true): [string, bigint][] {
  const top: [string, bigint][] = []
  if (n <= 0) return top
  for (const [holder, balance] of of ?? []) {
    if (!keep(holder) || (top.length === n && balance <= top[n - 1]![1])) continue
    let i = top.length
    while (i > 0 && top[i - 1]![1] < balance) i--
    top.splice(i, 0, [holder, balance])
    if (top.length > n) top.pop()
  }
  return top
}

/** `part` as a percentage of `whole`, to two decimals (null when `whole` is 0). */
export function percentOf(part: bigint, whole: bigint): number | null {
  if (whole <= 0n) return null
  return Number((part * 1_000_000n) / whole) / 10_000
}
