import { parseAbi, zeroAddress, type Address, type PublicClient } from 'viem'
import { readTokenMetadata } from '../chain/tokenMetadata.js'
import type { ChainSettings } from '../config/networks.js'
import type { SeedPair } from './indexer.js'

const factoryAbi = parseAbi(['function getPair(address, address) view returns (address)'])
const pairAbi = parseAbi(['function getReserves() view returns (uint112, uint112, uint32)', 'function token0() view returns (address)', 'function token1() view returns (address)'])

/**
 * Reads the current reserves of every CORE/stablecoin pair of the configured DEXes, so that USD
 * values are known from the first trade after a (re)start, not only after the next `Sync`.
 *
 * @example
 * for (const seed of await readUsdPairs(client, settings)) indexer.seedPair(seed)
 */
export async function readUsdPairs(client: PublicClient, settings: ChainSettings): Promise<SeedPair[]> {
  const block = await client.getBlockNumber()
  const combos = settings.dexes.flatMap((dex) => settings.quoteTokens.flatMap((quote) => settings.usdTokens.map((stable) => ({ dex, quote, stable }))))
  const found = await Promise.all(
    combos.map(async ({ dex, quote, stable }): Promise<SeedPair | null> => {
      const pair = await client.readContract({ address: dex.factory, abi: factoryAbi, functionName: 'getPair', args: [quote, stable], blockNumber: block })
      if (pair === zeroAddress) return null
      const [seed, meta] = await Promise.all([readPair(client, pair, dex.name, block), readTokenMetadata(client, stable)])
      return { ...seed, decimals: meta.decimals }
    }),
  )
  return found.filter((p) => p !== null)
}

async function readPair(client: PublicClient, pair: Address, dex: string, block: bigint): Promise<Omit<SeedPair, 'decimals'>> {
  const [token0, token1, [reserve0, reserve1]] = await Promise.all([
    client.readContract({ address: pair, abi: pairAbi, functionName: 'token0', blockNumber: block }),
    client.readContract({ address: pair, abi: pairAbi, functionName: 'token1', blockNumber: block }),
    client.readContract({ address: pair, abi: pairAbi, functionName: 'getReserves', blockNumber: block }),
  ])
  return { pair, token0, token1, dex, reserve0, reserve1 }
}
