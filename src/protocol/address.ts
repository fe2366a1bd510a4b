import { getAddress, isAddress } from 'viem'

export type Address = `0x${string}`

/** True for a 20-byte hex address in any letter case (mixed-case checksums are not enforced on input). */
export function isHexAddress(value: string): boolean {
  return isAddress(value, { strict: false })
}

/**
 * Normalizes an address to its EIP-55 checksummed form.
 *
 * @example
 * checksum('0xd8da6bf26964af9d7eed9e03e53415d37aa96045') // '0xd8dA6BF26964aF9D7eEd9e03E53415D37aA96045'
 */
export function checksum(value: string): Address {
  return getAddress(value.toLowerCase())
}
