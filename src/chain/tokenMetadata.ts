import { decodeAbiParameters, encodeFunctionData, hexToString, size, type Address, type Hex, type PublicClient } from 'viem'
import { erc20MetadataAbi } from './abi.js'
import { isRetryableError } from './errors.js'
import { createLruCache, type LruCache } from './lruCache.js'

/** ERC-20 metadata; a field is `null` (decimals: 18) when its call reverts or returns garbage. */
export type TokenMetadata = {
  name: string | null
  symbol: string | null
  decimals: number
  totalSupply: bigint | null
}

const caches = new WeakMap<PublicClient, LruCache<string, Promise<TokenMetadata>>>()
const maxStringLength = 200

/**
 * Reads a token's `name`, `symbol`, `decimals` and `totalSupply` (four `eth_call`s, once per token and
 * client: the result is cached). A string returned as `bytes32` (old tokens) is decoded too. Throws on a
 * retryable RPC error (network, rate limit), and caches nothing then.
 *
 * @example
 * const { symbol, decimals } = await readTokenMetadata(follower.client, token)
 */
export function readTokenMetadata(client: PublicClient, token: Address): Promise<TokenMetadata> {
  let cache = caches.get(client)
  if (!cache) caches.set(client, (cache = createLruCache(10_000)))
  const key = token.toLowerCase()
  const cached = cache.get(key)
  if (cached) return cached
  const pending = readUncached(client, token)
  cache.set(key, pending)
  pending.catch(() => cache.delete(key))
  return pending
}

async function readUncached(client: PublicClient, token: Address): Promise<TokenMetadata> {
  const [name, symbol, decimals, totalSupply] = await Promise.all([
    callRaw(client, token, 'name'),
    callRaw(client, token, 'symbol'),
    callRaw(client, token, 'decimals'),
    callRaw(client, token, 'totalSupply'),
  ])
  const decimalsValue = decodeUint(decimals)
  return {
    name: decodeString(name),
    symbol: decodeString(symbol),
    decimals: decimalsValue !== null && decimalsValue <= 255n ? Number(decimalsValue) : 18,
    totalSupply: decodeUint(totalSupply),
  }
}

/**
 * A token's `totalSupply` at a block (not cached: supplies change), or null when the call reverts.
 *
 * @example
 * await readTotalSupply(follower.client, token, 1234n) // 1000000000000000000000000000n
 */
export async function readTotalSupply(client: PublicClient, token: Address, blockNumber: bigint): Promise<bigint | null> {
  return decodeUint(await callRaw(client, token, 'totalSupply', blockNumber))
}

/** The raw return data, or `null` when the call reverts or the address has no code. */
async function callRaw(client: PublicClient, token: Address, functionName: 'name' | 'symbol' | 'decimals' | 'totalSupply', blockNumber?: bigint) {
  try {
    const { data } = await client.call({ to: token, data: encodeFunctionData({ abi: erc20MetadataAbi, functionName }), ...(blockNumber !== undefined ? { blockNumber } : {}) })
    return data ?? null
  } catch (err) {
    if (isRetryableError(err)) throw err
    return null
  }
}

function decodeUint(data: Hex | null): bigint | null {
  if (data === null || size(data) < 32) return null
  return decodeAbiParameters([{ type: 'uint256' }], data)[0]
}

/** An ABI `string`, or a `bytes32` padded with zeros; cleaned of control characters and capped. */
function decodeString(data: Hex | null): string | null {
  if (data === null || size(data) < 32) return null
  let text: string
  try {
    text = decodeAbiParameters([{ type: 'string' }], data)[0]
  } catch {
    if (size(data) !== 32) return null
    text = hexToString(data)
  }
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u001f\u007f\ufffd]/g, '').trim().slice(0, maxStringLength)
  return clean.length > 0 ? clean : null
}
