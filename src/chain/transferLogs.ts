import { isAddress } from 'viem'
import type { DexLogBody } from './decode.js'
import type { RawLog } from './events.js'
import { mapLimit } from './mapLimit.js'
import type { ChainRpc, LogsWhere } from './rpc.js'

/** Which contracts' `Transfer`s a range brings. Addresses lowercase. */
export type TransferScope = {
  /** The contracts watched now (any case); read once per range. */
  tracked: () => Iterable<string>
  /** Never fetched, even when a `PairCreated` names them (quote tokens: WCORE, stablecoins). */
  exclude: ReadonlySet<string>
  /** Addresses per `eth_getLogs` call. */
  addressesPerCall: number
}

/** Contract (lowercase) → the first block whose `Transfer`s are wanted (`null`: the whole range). */
export type TransferTargets = Map<string, bigint | null>

/** The contracts a kept log announces: a pair's tokens and the pair (its LP token), a launched token. */
function announced(body: DexLogBody): string[] {
  if (body.kind === 'pairCreated') return [body.token0, body.token1, body.pair]
  if (body.kind === 'tokenCreated') return [body.token]
  return []
}

/**
 * The contracts whose `Transfer`s a range needs: every tracked one over the whole range, and every one a
 * kept `PairCreated`/`TokenCreated` announces from the block of its first announcement on (all of that
 * block, so a mint that precedes `TokenCreated` in its transaction is in). What came before is history
 * (`transferHistory` up to that block − 1). Excluded contracts are left out.
 *
 * @example
 * transferTargets(scope, [{ blockNumber: 12n, body: pairCreated }]) // Map { '0xtoken' => 12n, '0xpair' => 12n }
 */
export function transferTargets(scope: TransferScope, kept: readonly { blockNumber: bigint; body: DexLogBody }[]): TransferTargets {
  const targets: TransferTargets = new Map()
  for (const address of scope.tracked()) {
    const key = address.toLowerCase()
    if (isAddress(key, { strict: false }) && !scope.exclude.has(key)) targets.set(key, null)
  }
  for (const { blockNumber, body } of kept) {
    for (const address of announced(body)) {
      const key = address.toLowerCase()
      if (!targets.has(key) && !scope.exclude.has(key)) targets.set(key, blockNumber)
    }
  }
  return targets
}

/**
 * Fetches the `Transfer` logs of `targets` at each of `where` (a range, or a block by hash), in chunks of
 * `addressesPerCall` addresses, and drops those older than their target's first block. Throws the node's
 * error as is (a range-limit error shrinks the range, as for the DEX call).
 *
 * @example
 * const raw = await fetchTransferLogs(rpc, scope, targets, [{ fromBlock: 100n, toBlock: 120n }])
 */
export async function fetchTransferLogs(
  rpc: Pick<ChainRpc, 'getTransferLogs'>,
  scope: TransferScope,
  targets: TransferTargets,
  where: readonly LogsWhere[],
  concurrency = 8,
): Promise<RawLog[]> {
  const addresses = [...targets.keys()].sort()
  const calls: { where: LogsWhere; addresses: string[] }[] = []
  for (const w of where) {
    for (let i = 0; i < addresses.length; i += scope.addressesPerCall) calls.push({ where: w, addresses: addresses.slice(i, i + scope.addressesPerCall) })
  }
  const answers = await mapLimit(calls, concurrency, (call) => rpc.getTransferLogs({ ...call.where, addresses: call.addresses }))
  return answers.flat().filter((log) => {
    const since = targets.get(log.address.toLowerCase())
    return since !== undefined && (since === null || log.blockNumber >= since)
  })
}
