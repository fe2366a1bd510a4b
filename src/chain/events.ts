import type { Address, Hash, Hex } from 'viem'

/** A block as the follower remembers it: enough to detect a reorg by parent hash. */
export type BlockRef = {
  number: bigint
  hash: Hash
  parentHash: Hash
}

/** A block header as emitted with its logs. `timestamp` is Unix seconds. */
export type BlockHeader = BlockRef & { timestamp: bigint }

/** Where a log sits in the chain and who sent its transaction. Every decoded log carries these. */
export type LogMeta = {
  blockNumber: bigint
  blockHash: Hash
  txHash: Hash
  logIndex: number
  /** The emitting contract, EIP-55 checksummed. */
  address: Address
  /** The transaction's sender (`tx.from`), EIP-55 checksummed. */
  from: Address
}

/** The pair a swap/sync/mint/burn came from, resolved through its factory. */
export type PairInfo = {
  dex: string
  factory: Address
  token0: Address
  token1: Address
}

export type PairCreatedLog = LogMeta & {
  kind: 'pairCreated'
  factory: Address
  dex: string
  token0: Address
  token1: Address
  pair: Address
}

export type SwapLog = LogMeta &
  PairInfo & {
    kind: 'swap'
    pair: Address
    sender: Address
    to: Address
    amount0In: bigint
    amount1In: bigint
    amount0Out: bigint
    amount1Out: bigint
  }

export type SyncLog = LogMeta & PairInfo & { kind: 'sync'; pair: Address; reserve0: bigint; reserve1: bigint }

export type MintLog = LogMeta & PairInfo & { kind: 'mint'; pair: Address; sender: Address; amount0: bigint; amount1: bigint }

export type BurnLog = LogMeta &
  PairInfo & { kind: 'burn'; pair: Address; sender: Address; to: Address; amount0: bigint; amount1: bigint }

export type TokenCreatedLog = LogMeta & {
  kind: 'tokenCreated'
  launcher: Address
  token: Address
  creator: Address
  name: string
  symbol: string
  totalSupply: bigint
}

/**
 * An ERC-20 `Transfer(from, to, value)` of a contract the follower was asked to watch (a launched token, or
 * a pair: its LP token). `token` is the emitting contract (= `address`). The transfer's own `from`/`to` are
 * `sender`/`recipient`: `from` is the transaction's sender, as on every log. A mint comes from, a burn goes
 * to, the zero address.
 */
export type TransferLog = LogMeta & { kind: 'transfer'; token: Address; sender: Address; recipient: Address; value: bigint }

/** One past `Transfer` of a token, as `transferHistory` reads it (no block header, no transaction sender). */
export type TransferRecord = {
  token: Address
  sender: Address
  recipient: Address
  value: bigint
  blockNumber: bigint
  txHash: Hash
  logIndex: number
}

/** Every log the follower emits, tagged by `kind`: the DEX events, launches, and `Transfer`s of watched contracts. */
export type DecodedLog = PairCreatedLog | SwapLog | SyncLog | MintLog | BurnLog | TokenCreatedLog | TransferLog

/** A block that holds at least one kept log, with its logs in `logIndex` order. */
export type BlockEvent = { kind: 'block'; block: BlockHeader; logs: DecodedLog[] }

/**
 * Blocks were undone. `removed` is newest first; `txHashes` are the distinct transactions whose logs
 * were already emitted in those blocks. Everything after `commonAncestor` is re-emitted from the new branch.
 */
export type ReorgEvent = {
  kind: 'reorg'
  commonAncestor: { number: bigint; hash: Hash }
  removed: BlockRef[]
  txHashes: Hash[]
}

/** Every block up to and including this one is final (older than the finality depth). */
export type FinalizeEvent = { kind: 'finalize'; block: { number: bigint; hash: Hash } }

/**
 * Progress: every block up to and including this one has been processed (with or without logs).
 * One per `onEvents` batch, last in the batch. Consumers use it to advance time (candles, 24 h windows).
 */
export type HeadEvent = { kind: 'head'; block: BlockHeader }

/** What the follower hands to `onEvents`. */
export type ChainEvent = BlockEvent | ReorgEvent | FinalizeEvent | HeadEvent

/** The raw log fields as returned by `eth_getLogs`, already parsed. */
export type RawLog = {
  address: Address
  topics: Hex[]
  data: Hex
  blockNumber: bigint
  blockHash: Hash
  txHash: Hash
  logIndex: number
}
