import { formatUnits } from 'viem'

/**
 * A raw token amount as a decimal string in whole units, without trailing zeros.
 *
 * @example
 * toDecimalString(2_500_000_000_000_000_000n, 18) // '2.5'
 */
export function toDecimalString(raw: bigint, decimals: number): string {
  return formatUnits(raw, decimals)
}

/** A raw amount as a JavaScript number in whole units (for prices and USD values, not for amounts). */
export function toNumber(raw: bigint, decimals: number): number {
  return Number(formatUnits(raw, decimals))
}

/** Rounds to 12 significant digits so that float noise does not leak into the wire format. */
export function round(value: number): number {
  return Number(value.toPrecision(12))
}
