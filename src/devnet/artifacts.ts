import type { Hex } from 'viem'
import artifacts from './artifacts.json' with { type: 'json' }

/** The name of a compiled devnet contract (one per `contracts/*.sol` deployable contract). */
export type ContractName = keyof typeof artifacts

/**
 * Creation bytecode of a devnet contract, from the committed `artifacts.json`
 * (regenerate with `npx tsx scripts/compileContracts.ts`).
 *
 * @example
 * const bytecode = getBytecode('WCORE')
 */
export function getBytecode(name: ContractName): Hex {
  return artifacts[name].bytecode as Hex
}
