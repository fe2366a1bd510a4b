import { encodeAbiParameters, encodeEventTopics, getAddress, type Address, type Hex } from 'viem'
import { describe, expect, it } from 'vitest'
import { erc20TransferAbi, launcherEventsAbi, transferTopic, uniswapV2EventsAbi } from './abi.js'
import { decodeDexLog, decodeTransferLog, parseRpcLog, transferRecord } from './decode.js'
import type { RawLog } from './events.js'

const factory = '0xb45e53277a7e0f1d35f2a77160e91e25507f1763'
const launcher = '0x9999999999999999999999999999999999999999'
const scope = { factories: new Map([[factory, 'sushiswap']]), launchers: new Set([launcher]) }
const a = getAddress('0x40375c92d9faf44d2f9db9bd9ba41a3317a2404f')
const b = getAddress('0x900101d06a7426441ae63e9ab3b9b0f63be145f1')
const pair = '0x5555555555555555555555555555555555555555'

const raw = (address: string, topics: Hex[], data: Hex): RawLog => ({
  address: address as Address,
  topics,
  data,
  blockNumber: 1n,
  blockHash: `0x${'1'.repeat(64)}`,
  txHash: `0x${'2'.repeat(64)}`,
  logIndex: 0,
})

describe('decodeDexLog', () => {
  it('decodes PairCreated, whose unnamed fourth argument makes viem return an array', () => {
    const topics = encodeEventTopics({ abi: uniswapV2EventsAbi, eventName: 'PairCreated', args: { token0: a, token1: b } }) as Hex[]
    const data = encodeAbiParameters([{ type: 'address' }, { type: 'uint256' }], [pair, 7n])
    expect(decodeDexLog(raw(factory, topics, data), scope)).toEqual({
      kind: 'pairCreated',
      factory: getAddress(factory),
      dex: 'sushiswap',
      token0: a,
      token1: b,
      pair: getAddress(pair),
    })
  })

  it('drops PairCreated from a factory it does not follow', () => {
    const topics = encodeEventTopics({ abi: uniswapV2EventsAbi, eventName: 'PairCreated', args: { token0: a, token1: b } }) as Hex[]
    const data = encodeAbiParameters([{ type: 'address' }, { type: 'uint256' }], [pair, 7n])
    expect(decodeDexLog(raw(pair, topics, data), scope)).toBeNull()
  })

  it('decodes a Swap with checksummed addresses and bigint amounts, unresolved', () => {
    const topics = encodeEventTopics({ abi: uniswapV2EventsAbi, eventName: 'Swap', args: { sender: a, to: b } }) as Hex[]
    const data = encodeAbiParameters([{ type: 'uint256' }, { type: 'uint256' }, { type: 'uint256' }, { type: 'uint256' }], [1n, 0n, 0n, 2n ** 200n])
    expect(decodeDexLog(raw(pair, topics, data), scope)).toEqual({
      kind: 'swap',
      pair: getAddress(pair),
      sender: a,
      to: b,
      amount0In: 1n,
      amount1In: 0n,
      amount0Out: 0n,
      amount1Out: 2n ** 200n,
    })
  })

  it('drops a log with a followed topic0 but another layout (e.g. an ERC-20 Transfer-like indexed shape)', () => {
    const [topic0] = encodeEventTopics({ abi: uniswapV2EventsAbi, eventName: 'Sync' }) as Hex[]
    expect(decodeDexLog(raw(pair, [topic0 as Hex, `0x${'0'.repeat(64)}`], '0x'), scope)).toBeNull()
    expect(decodeDexLog(raw(pair, [`0x${'f'.repeat(64)}`], '0x'), scope)).toBeNull()
  })

  it('decodes TokenCreated from a followed launcher only', () => {
    const topics = encodeEventTopics({ abi: launcherEventsAbi, eventName: 'TokenCreated', args: { token: a, creator: b } }) as Hex[]
    const data = encodeAbiParameters([{ type: 'string' }, { type: 'string' }, { type: 'uint256' }], ['Doge Core', 'DOGEC', 10n ** 27n])
    expect(decodeDexLog(raw(launcher, topics, data), scope)).toEqual({
      kind: 'tokenCreated',
      launcher: getAddress(launcher),
      token: a,
      creator: b,
      name: 'Doge Core',
      symbol: 'DOGEC',
      totalSupply: 10n ** 27n,
    })
    expect(decodeDexLog(raw(pair, topics, data), scope)).toBeNull()
  })
})

describe('decodeTransferLog', () => {
  const token = '0x7777777777777777777777777777777777777777'
  const topics = encodeEventTopics({ abi: erc20TransferAbi, eventName: 'Transfer', args: { from: a, to: b } }) as Hex[]
  const value = encodeAbiParameters([{ type: 'uint256' }], [10n ** 30n])

  it('decodes an ERC-20 Transfer: the emitting contract is the token, from/to are sender/recipient', () => {
    expect(decodeTransferLog(raw(token, topics, value))).toEqual({ kind: 'transfer', token: getAddress(token), sender: a, recipient: b, value: 10n ** 30n })
    expect(transferRecord({ ...raw(token, topics, value), blockNumber: 9n, logIndex: 3 })).toEqual({
      token: getAddress(token),
      sender: a,
      recipient: b,
      value: 10n ** 30n,
      blockNumber: 9n,
      txHash: `0x${'2'.repeat(64)}`,
      logIndex: 3,
    })
  })

  it('returns null for an ERC-721 Transfer (tokenId as a fourth topic, no data) and for other events', () => {
    const tokenId = `0x${'0'.repeat(63)}5` as Hex
    expect(decodeTransferLog(raw(token, [...topics, tokenId], '0x'))).toBeNull()
    expect(transferRecord(raw(token, [...topics, tokenId], '0x'))).toBeNull()
    const [sync] = encodeEventTopics({ abi: uniswapV2EventsAbi, eventName: 'Sync' }) as Hex[]
    expect(decodeTransferLog(raw(token, [sync as Hex], encodeAbiParameters([{ type: 'uint112' }, { type: 'uint112' }], [1n, 2n])))).toBeNull()
    expect(topics[0]).toBe(transferTopic)
  })
})

describe('parseRpcLog', () => {
  it('parses hex numbers and skips pending logs', () => {
    const log = { address: a, topics: [] as Hex[], data: '0x' as Hex, blockHash: `0x${'1'.repeat(64)}` as Hex, transactionHash: `0x${'2'.repeat(64)}` as Hex }
    expect(parseRpcLog({ ...log, blockNumber: '0x10', logIndex: '0x2' })).toMatchObject({ blockNumber: 16n, logIndex: 2, txHash: log.transactionHash })
    expect(parseRpcLog({ ...log, blockNumber: null, logIndex: null })).toBeNull()
  })
})
