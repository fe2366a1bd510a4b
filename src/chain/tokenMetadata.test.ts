import { createPublicClient, http, type Address, type PublicClient } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startDevChain, type DevChain } from '../../test/support/chainHarness.js'
import { startRpcProxy, type RpcProxy } from '../../test/support/rpcProxy.js'
import { readTokenMetadata } from './tokenMetadata.js'

let chain: DevChain
let proxy: RpcProxy
let client: PublicClient
const tokens = { revertingSymbol: '' as Address, bytes32: '' as Address }

beforeAll(async () => {
  chain = await startDevChain()
  tokens.revertingSymbol = await chain.deploy('RevertingSymbolToken')
  tokens.bytes32 = await chain.deploy('Bytes32Token')
  proxy = await startRpcProxy(chain.anvil.rpcUrl)
  client = createPublicClient({ transport: http(proxy.url, { retryCount: 0 }) })
})

afterAll(async () => {
  await proxy?.close()
  await chain?.stop()
})

describe('readTokenMetadata', () => {
  it('falls back field by field: a reverting symbol is null, out-of-range decimals are 18', async () => {
    expect(await readTokenMetadata(client, tokens.revertingSymbol)).toEqual({ name: 'Broken Symbol', symbol: null, decimals: 18, totalSupply: 42n })
  })

  it('reads bytes32 names and symbols (old tokens); a missing totalSupply is null', async () => {
    expect(await readTokenMetadata(client, tokens.bytes32)).toEqual({ name: 'Maker', symbol: 'MKR', decimals: 6, totalSupply: null })
  })

  it('gives every fallback for an address without code', async () => {
    expect(await readTokenMetadata(client, '0x4000000000000000000000000000000000000004')).toEqual({ name: null, symbol: null, decimals: 18, totalSupply: null })
  })

  it('caches per token: a second read makes no call', async () => {
    const before = proxy.count('eth_call')
    await readTokenMetadata(client, tokens.revertingSymbol)
    await readTokenMetadata(client, tokens.revertingSymbol.toLowerCase() as Address)
    expect(proxy.count('eth_call')).toBe(before)
  })

  it('throws on a retryable error and caches nothing, so the next read succeeds', async () => {
    const fresh = createPublicClient({ transport: http(proxy.url, { retryCount: 0 }) }) // its own cache
    proxy.intercept = () => ({ httpStatus: 503 })
    await expect(readTokenMetadata(fresh, tokens.bytes32)).rejects.toThrow(/503|HTTP request failed/)
    proxy.intercept = null
    expect(await readTokenMetadata(fresh, tokens.bytes32)).toMatchObject({ symbol: 'MKR', decimals: 6 })
  })
})
