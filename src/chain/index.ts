/**
 * The chain follower: follows any EVM chain over JSON-RPC and emits decoded, ordered, deduplicated
 * UniswapV2-style DEX events and token launches, and on request the ERC-20 `Transfer`s of the contracts a
 * consumer watches (with `transferHistory` for what came before). It knows no sockets, bus or market.
 */
export {
  createChainFollower,
  type ChainFollower,
  type ChainFollowerOptions,
  type ChainFollowerStats,
  type ChainFollowerStatus,
  type FollowTransfersOptions,
} from './chainFollower.js'
export type { GetLogsPurpose, RpcCallCounts } from './countedRpc.js'
export { createFileCheckpoint, createMemoryCheckpoint, type Checkpoint, type CheckpointStore, type WindowBlock } from './checkpoint.js'
export { ChainError, isRetryableError, type ChainErrorCode } from './errors.js'
export type {
  BlockEvent,
  BlockHeader,
  BlockRef,
  BurnLog,
  ChainEvent,
  DecodedLog,
  FinalizeEvent,
  HeadEvent,
  MintLog,
  PairCreatedLog,
  PairInfo,
  ReorgEvent,
  SwapLog,
  SyncLog,
  TokenCreatedLog,
  TransferLog,
  TransferRecord,
} from './events.js'
export { readTransferHistory, type TransferHistoryDeps, type TransferHistoryParameters } from './transferHistory.js'
export { readTokenMetadata, type TokenMetadata } from './tokenMetadata.js'
