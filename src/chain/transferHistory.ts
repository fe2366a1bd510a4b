import { isAddress } from 'viem'
import { transferRecord } from './decode.js'
import { backoffDelay, ChainError, isRangeLimitError, isRetryableError, sleep } from './errors.js'
import type { TransferRecord } from './events.js'
import type { RangeSizer } from './rangeSizer.js'
import type { ChainRpc } from './rpc.js'

export type TransferHistoryParameters = {
  /** The ERC-20 (or pair, for its LP token), any case. */
  token: string
  /** First and last block read, both included. Nothing is read when `fromBlock > toBlock`. */
  fromBlock: bigint
  toBlock: bigint
}

export type TransferHistoryReturnType = TransferRecord[]

export type TransferHistoryDeps = {
  rpc: Pick<ChainRpc, 'getTransferLogs'>
  /** The chunk size, learned across calls (a range-limit refusal shrinks it, successes grow it). */
  sizer: RangeSizer
  /** Retries of a retryable error (network, 5xx, rate limit) per chunk before giving up (default 3). */
  retries?: number
  retryBaseMs?: number
  signal?: AbortSignal
}

/**
 * Reads every ERC-20 `Transfer` of one token between two blocks, in chain order, in chunks of blocks that
 * adapt to the node's limits (a range-limit error shrinks the chunk and retries it; a retryable error is
 * retried with backoff; anything else throws, as does a `token` that is no address). For a token first
 * seen at its `PairCreated` in block N (it may have been deployed and distributed earlier): `toBlock: N - 1n`,
 * the follower delivers the rest.
 *
 * @example
 * const history = await readTransferHistory({ rpc, sizer: createRangeSizer({ initial: 2000 }) }, { token, fromBlock: 0n, toBlock: 99n })
 */
export async function readTransferHistory(deps: TransferHistoryDeps, params: TransferHistoryParameters): Promise<TransferHistoryReturnType> {
  const { rpc, sizer, retries = 3, retryBaseMs = 100, signal } = deps
  if (!isAddress(params.token, { strict: false })) throw new TypeError(`transferHistory: token must be an address, got ${JSON.stringify(params.token)}`)
  const records: TransferRecord[] = []
  let from = params.fromBlock
  for (let failures = 0; from <= params.toBlock; ) {
    if (signal?.aborted) throw new ChainError('chain_stopped', 'stopped')
    const to = min(params.toBlock, from + BigInt(sizer.size) - 1n)
    const blocks = Number(to - from) + 1
    try {
      const raw = await rpc.getTransferLogs({ fromBlock: from, toBlock: to, addresses: [params.token] })
      sizer.grow(blocks)
      records.push(...raw.flatMap((log) => transferRecord(log) ?? []).sort(inChainOrder))
      from = to + 1n
      failures = 0
    } catch (err) {
      if (isRangeLimitError(err) && blocks > 1) sizer.shrink(err, blocks)
      else if (isRetryableError(err) && failures < retries && !signal?.aborted) await sleep(backoffDelay(failures++, retryBaseMs, 5000), signal)
      else throw err
    }
  }
  return records
}

const min = (a: bigint, b: bigint) => (a < b ? a : b)

function inChainOrder(a: TransferRecord, b: TransferRecord): number {
  return a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1
}
