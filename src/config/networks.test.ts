import { describe, expect, it } from 'vitest'
import { parseConfig } from './config.js'
import { mainnet, resolveChainSettings, selectedNetwork } from './networks.js'

describe('network selection', () => {
  it('runs the embedded devnet without CORE_RPC_URL and mainnet with it', () => {
    expect(selectedNetwork(parseConfig({}))).toBe('embedded')
    expect(selectedNetwork(parseConfig({ CORE_RPC_URL: 'https://rpc.coredao.org' }))).toBe('mainnet')
    expect(selectedNetwork(parseConfig({ CORE_RPC_URL: 'http://127.0.0.1:8545', CORE_NETWORK: 'none' }))).toBe('none')
  })

  it('uses the mainnet preset: five V2 DEXes, both WCORE, three stablecoins, 21 confirmations', () => {
    const settings = resolveChainSettings(parseConfig({}), 'mainnet', mainnet)
    expect(settings.dexes.map((d) => d.name)).toEqual(['ShadowSwap', 'ArcherSwap', 'IceCreamSwap V2', 'SushiSwap V2', 'Glyph V2'])
    expect(settings.quoteTokens).toEqual(['0x40375C92d9FAf44d2f9db9Bd9ba41a3317a2404f', '0x191E94fa59739e188dcE837F7f6978d84727AD01'])
    expect(settings.usdTokens).toHaveLength(3)
    expect(settings).toMatchObject({ rpcUrl: 'https://rpc.coredao.org', wsUrl: 'wss://ws.coredao.org', finalityDepth: 21, pollIntervalMs: 3000 })
  })

  it('lets env override the preset, checksumming addresses', () => {
    const config = parseConfig({
      CORE_RPC_URL: 'http://127.0.0.1:9000',
      DEXES: 'Mine=0x' + 'ab'.repeat(20),
      QUOTE_TOKENS: '0x' + 'cd'.repeat(20),
      FINALITY_DEPTH: '5',
    })
    const settings = resolveChainSettings(config, 'mainnet', mainnet)
    expect(settings.rpcUrl).toBe('http://127.0.0.1:9000')
    expect(settings.wsUrl).toBeUndefined()
    expect(settings.dexes).toEqual([{ name: 'Mine', factory: '0xABaBaBaBABabABabAbAbABAbABabababaBaBABaB' }])
    expect(settings.quoteTokens).toEqual(['0xCdCDCdCdcdcdcdCdcDcDCdcDcDCdCdcdCdcDCDcD'])
    expect(settings.finalityDepth).toBe(5)
  })

  it('rejects a malformed DEXES list naming the variable', () => {
    expect(() => parseConfig({ DEXES: 'ShadowSwap:0x12' })).toThrow('DEXES must be a comma-separated list of Name=0xFactoryAddress, got "ShadowSwap:0x12"')
  })
})
