import { toNumber } from './units.js'

export type UsdReference = { stableReserve: bigint; stableDecimals: number; coreReserve: bigint }

/**
 * CORE/USD as the reserve-weighted average over WCORE/stablecoin pairs: Σ stable / Σ CORE.
 * Null when no pair has reserves yet (USD fields are then null, never made up).
 *
 * @example
 * coreUsdPrice([{ stableReserve: 120_000n * 10n ** 6n, stableDecimals: 6, coreReserve: 100_000n * 10n ** 18n }]) // 1.2
 */
export function coreUsdPrice(pairs: readonly UsdReference[]): number | null {
  let stable = 0
  let core = 0
  for (const p of pairs) {
    stable += toNumber(p.stableReserve, p.stableDecimals)
    core += toNumber(p.coreReserve, 18)
  }
  return core > 0 && stable > 0 ? stable / core : null
}
