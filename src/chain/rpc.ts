import { BlockNotFoundError, createPublicClient, getAddress, http, numberToHex, type Address, type Hash, type PublicClient } from 'viem'
import { followedTopics, transferTopic } from './abi.js'
import { parseRpcLog, type RpcLogShape } from './decode.js'
import { withRetry } from './errors.js'
import type { BlockHeader, RawLog } from './events.js'

/** Where an `eth_getLogs` looks: a block range, or one block by hash (EIP-234). */
export type LogsWhere = { fromBlock: bigint; toBlock: bigint } | { blockHash: Hash }

/** A block header plus the sender of each of its transactions. */
export type BlockWithSenders = { header: BlockHeader; senders: Map<Hash, Address> }

/** The JSON-RPC calls the follower makes, each retried on retryable errors (except `getLogs`, see below). */
export type ChainRpc = {
  client: PublicClient
  latestHeader(): Promise<BlockHeader>
  /** The canonical header at `number`, or `null` if the chain is not that long (any more). */
  headerByNumber(number: bigint): Promise<BlockHeader | null>
  /** One call: the block with its transactions, reduced to the header and tx → sender. */
  blockWithSenders(at: { number: bigint } | { hash: Hash }): Promise<BlockWithSenders | null>
  /**
   * One `eth_getLogs` for the followed topics, over a block range or for one block by hash (EIP-234: a
   * node that does not know the block errors instead of answering `[]`). Not retried here: the caller
   * adapts the range first.
   */
  getLogs(filter: LogsWhere): Promise<RawLog[]>
  /** One `eth_getLogs` for `Transfer` (topic0 only) of `addresses` (non-empty). Not retried, as `getLogs`. */
  getTransferLogs(filter: LogsWhere & { addresses: readonly string[] }): Promise<RawLog[]>
}

export type CreateChainRpcOptions = {
  rpcUrl: string
  /** Per-request timeout (default 15 s). */
  timeoutMs?: number
  signal?: AbortSignal
}

type ViemBlock = { number: bigint | null; hash: Hash | null; parentHash: Hash; timestamp: bigint }

function toHeader(block: ViemBlock): BlockHeader {
  if (block.number === null || block.hash === null) throw new Error('pending block has no number or hash')
  return { number: block.number, hash: block.hash, parentHash: block.parentHash, timestamp: block.timestamp }
}

function orNull<T>(promise: Promise<T>): Promise<T | null> {
  return promise.catch((err: unknown) => {
    if (err instanceof BlockNotFoundError) return null
    throw err
  })
}

/**
 * Creates the follower's RPC layer over one HTTP endpoint (viem `http` transport, its own retries off).
 *
 * @example
 * const rpc = createChainRpc({ rpcUrl: 'https://rpc.coredao.org' })
 * const head = await rpc.latestHeader()
 */
export function createChainRpc(options: CreateChainRpcOptions): ChainRpc {
  const { rpcUrl, timeoutMs = 15_000, signal } = options
  const client = createPublicClient({ transport: http(rpcUrl, { retryCount: 0, timeout: timeoutMs }) })
  const retry = <T>(fn: () => Promise<T>) => withRetry(fn, { retries: 3, signal })
  return {
    client,
    latestHeader: () => retry(async () => toHeader(await client.getBlock({ blockTag: 'latest' }))),
    headerByNumber: (number) => retry(async () => orNull(client.getBlock({ blockNumber: number }).then(toHeader))),
    blockWithSenders: (at) =>
      retry(async () => {
        const query = 'hash' in at ? { blockHash: at.hash } : { blockNumber: at.number }
        const block = await orNull(client.getBlock({ ...query, includeTransactions: true }))
        if (block === null) return null
        const senders = new Map(block.transactions.map((tx) => [tx.hash, getAddress(tx.from)] as const))
        return { header: toHeader(block), senders }
      }),
    getLogs: (filter) => getLogs(client, { ...rpcWhere(filter), topics: [followedTopics] }),
    getTransferLogs: ({ addresses, ...filter }) => getLogs(client, { ...rpcWhere(filter), address: [...addresses] as Address[], topics: [transferTopic] }),
  }
}

function rpcWhere(filter: LogsWhere): { blockHash: Hash } | { fromBlock: `0x${string}`; toBlock: `0x${string}` } {
  return 'blockHash' in filter ? { blockHash: filter.blockHash } : { fromBlock: numberToHex(filter.fromBlock), toBlock: numberToHex(filter.toBlock) }
}

async function getLogs(client: PublicClient, params: Record<string, unknown>): Promise<RawLog[]> {
  const logs = (await client.request({ method: 'eth_getLogs', params: [params as never] })) as unknown as RpcLogShape[]
  return logs.flatMap((log) => parseRpcLog(log) ?? [])
}
