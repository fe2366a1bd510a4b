import { decodeEventLog, getAddress, type Address } from 'viem'
import { erc20TransferAbi, followedEventsAbi } from './abi.js'
import type { BurnLog, LogMeta, MintLog, PairCreatedLog, PairInfo, RawLog, SwapLog, SyncLog, TokenCreatedLog, TransferLog, TransferRecord } from './events.js'

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never

/** A swap/sync/mint/burn before its pair is resolved: the body without meta or pair info. */
export type PairScopedBody = DistributiveOmit<SwapLog | SyncLog | MintLog | BurnLog, keyof LogMeta | keyof PairInfo>

/** A decoded DEX or launcher log body, before `from` and (for pair events) pair info are attached. */
export type DexLogBody = DistributiveOmit<PairCreatedLog | TokenCreatedLog, keyof LogMeta> | PairScopedBody

/** A decoded `Transfer` body, before its meta is attached. */
export type TransferBody = Omit<TransferLog, keyof LogMeta>

/** Any decoded log body. */
export type LogBody = DexLogBody | TransferBody

export type DecodeScope = {
  /** Factory address (lowercase) → DEX name. */
  factories: ReadonlyMap<string, string>
  /** Launcher addresses (lowercase). */
  launchers: ReadonlySet<string>
}

/**
 * Decodes one followed log. Returns `null` for anything we do not keep: an unknown topic, a log whose
 * layout does not match (same topic0, different indexed args), a `PairCreated` from a factory we do not
 * follow or a `TokenCreated` from a launcher we do not follow. Pair events are returned unresolved.
 *
 * @example
 * const body = decodeDexLog(raw, { factories: new Map([[factory.toLowerCase(), 'shadowswap']]), launchers: new Set() })
 */
export function decodeDexLog(raw: RawLog, scope: DecodeScope): DexLogBody | null {
  let decoded
  try {
    decoded = decodeEventLog({ abi: followedEventsAbi, topics: raw.topics as [], data: raw.data, strict: true })
  } catch {
    return null
  }
  const emitter = raw.address.toLowerCase()
  const pair = getAddress(raw.address)
  switch (decoded.eventName) {
    case 'PairCreated': {
      const dex = scope.factories.get(emitter)
      if (dex === undefined) return null
      // The fourth argument is unnamed, so viem decodes `args` as an array.
      const [token0, token1, created] = decoded.args as unknown as readonly [Address, Address, Address, bigint]
      return { kind: 'pairCreated', factory: pair, dex, token0, token1, pair: created }
    }
    case 'TokenCreated': {
      if (!scope.launchers.has(emitter)) return null
      const { token, creator, name, symbol, totalSupply } = decoded.args
      return { kind: 'tokenCreated', launcher: pair, token, creator, name, symbol, totalSupply }
    }
    case 'Swap':
      return { kind: 'swap', pair, ...decoded.args }
    case 'Sync':
      return { kind: 'sync', pair, reserve0: decoded.args.reserve0, reserve1: decoded.args.reserve1 }
    case 'Mint':
      return { kind: 'mint', pair, ...decoded.args }
    case 'Burn':
      return { kind: 'burn', pair, ...decoded.args }
  }
}

/**
 * Decodes an ERC-20 `Transfer`. Returns `null` for anything else, an ERC-721 `Transfer` (its `tokenId` is
 * a fourth topic) included.
 *
 * @example
 * const body = decodeTransferLog(raw) // { kind: 'transfer', token, sender, recipient, value }
 */
export function decodeTransferLog(raw: RawLog): TransferBody | null {
  try {
    const { args } = decodeEventLog({ abi: erc20TransferAbi, topics: raw.topics as [], data: raw.data, strict: true })
    return { kind: 'transfer', token: getAddress(raw.address), sender: args.from, recipient: args.to, value: args.value }
  } catch {
    return null
  }
}

/**
 * A raw log as a `TransferRecord`, or `null` if it is no ERC-20 `Transfer`.
 *
 * @example
 * const records = raws.flatMap((raw) => transferRecord(raw) ?? [])
 */
export function transferRecord(raw: RawLog): TransferRecord | null {
  const body = decodeTransferLog(raw)
  if (body === null) return null
  const { token, sender, recipient, value } = body
  return { token, sender, recipient, value, blockNumber: raw.blockNumber, txHash: raw.txHash, logIndex: raw.logIndex }
}

/** Parses one `eth_getLogs` result entry. Returns `null` for a pending log (no block yet). */
export function parseRpcLog(log: RpcLogShape): RawLog | null {
  if (log.blockNumber == null || log.blockHash == null || log.transactionHash == null || log.logIndex == null) return null
  return {
    address: log.address,
    topics: log.topics,
    data: log.data,
    blockNumber: BigInt(log.blockNumber),
    blockHash: log.blockHash,
    txHash: log.transactionHash,
    logIndex: Number(log.logIndex),
  }
}

/** The fields of an RPC log we read (hex-encoded numbers, lowercase addresses). */
export type RpcLogShape = {
  address: Address
  topics: RawLog['topics']
  data: RawLog['data']
  blockNumber: `0x${string}` | null
  blockHash: RawLog['blockHash'] | null
  transactionHash: RawLog['txHash'] | null
  logIndex: `0x${string}` | null
}
