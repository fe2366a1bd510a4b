/**
 * The chain follower: follows any EVM chain over JSON-RPC and emits decoded, ordered, deduplicated
 * UniswapV2-style DEX events and token launches. It knows no sockets, bus or market.
 */
export { createChainFollower, type ChainFollower, type ChainFollowerOptions, type ChainFollowerStatus } from './chainFollower.js'
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
} from './events.js'
export { readTokenMetadata, type TokenMetadata } from './tokenMetadata.js'
