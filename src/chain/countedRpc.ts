import type { ChainRpc, LogsWhere } from './rpc.js'

/** What an `eth_getLogs` was for: DEX and launcher events, `Transfer`s while following, or a `transferHistory` read. */
export type GetLogsPurpose = 'dex' | 'transfers' | 'history'

/** RPC calls made so far, by what they were for. A call retried inside the RPC layer counts once. */
export type RpcCallCounts = {
  getLogs: Record<GetLogsPurpose, number>
  /** `eth_getBlockBy*` with transactions (senders), by number without (headers), and `latest` (HTTP head reads). */
  blocks: { withTransactions: number; byNumber: number; latest: number }
}

export type CountedRpc = {
  /** The RPC whose `getTransferLogs` counts as `transfers`. */
  rpc: ChainRpc
  /** The same RPC whose `getTransferLogs` counts as `history`. */
  history: ChainRpc
  counts(): RpcCallCounts
}

const blocksOf = (filter: LogsWhere) => ('blockHash' in filter ? 1 : Number(filter.toBlock - filter.fromBlock) + 1)

/**
 * Wraps an RPC layer to count its calls and report each `eth_getLogs` (blocks covered, purpose).
 *
 * @example
 * const { rpc, counts } = createCountedRpc(createChainRpc({ rpcUrl }))
 * counts().getLogs.transfers // 0
 */
export function createCountedRpc(inner: ChainRpc, onGetLogs?: (blocks: number, purpose: GetLogsPurpose) => void): CountedRpc {
  const getLogs = { dex: 0, transfers: 0, history: 0 }
  const blocks = { withTransactions: 0, byNumber: 0, latest: 0 }
  const note = (purpose: GetLogsPurpose, filter: LogsWhere) => {
    getLogs[purpose]++
    onGetLogs?.(blocksOf(filter), purpose)
  }
  const rpc: ChainRpc = {
    client: inner.client,
    latestHeader: () => (blocks.latest++, inner.latestHeader()),
    headerByNumber: (number) => (blocks.byNumber++, inner.headerByNumber(number)),
    blockWithSenders: (at) => (blocks.withTransactions++, inner.blockWithSenders(at)),
    getLogs: (filter) => (note('dex', filter), inner.getLogs(filter)),
    getTransferLogs: (filter) => (note('transfers', filter), inner.getTransferLogs(filter)),
  }
  const history: ChainRpc = { ...rpc, getTransferLogs: (filter) => (note('history', filter), inner.getTransferLogs(filter)) }
  return { rpc, history, counts: () => ({ getLogs: { ...getLogs }, blocks: { ...blocks } }) }
}
