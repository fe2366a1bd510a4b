import { getAddress, type Address } from 'viem'
import type { Config } from './config.js'

export type Dex = { name: string; factory: Address }

/** What the indexer needs to know about a chain, from a preset overridden by env. */
export type ChainSettings = {
  network: 'mainnet' | 'testnet' | 'devnet' | 'embedded'
  rpcUrl: string
  wsUrl?: string
  dexes: Dex[]
  quoteTokens: Address[]
  usdTokens: Address[]
  launchers: Address[]
  finalityDepth: number
  pollIntervalMs: number
  /** Blocks in 24 h: how far back a (re)start replays to rebuild the 24 h market windows. */
  dayBlocks: number
  /** USD thresholds that depend on the market's size (overridable by ALERT_WHALE_USD, ALERT_VOLUME_MIN_USD). */
  whaleUsd: number
  volumeMinUsd: number
}

type Preset = Omit<ChainSettings, 'network' | 'rpcUrl' | 'wsUrl'> & { rpcUrl?: string; wsUrl?: string }

/** Core's 3 s blocks: confirmations, polling and a day of blocks; USD thresholds sized for mainnet. */
const coreTiming = { launchers: [], finalityDepth: 21, pollIntervalMs: 3000, dayBlocks: 28_800, whaleUsd: 10_000, volumeMinUsd: 5_000 }

/** Core mainnet (chain id 1116). Sources: DESIGN.md "Chain facts"; verify on scan.coredao.org. */
export const mainnet: Preset = {
  rpcUrl: 'https://rpc.coredao.org',
  wsUrl: 'wss://ws.coredao.org',
  dexes: [
    { name: 'ShadowSwap', factory: '0x326Ee96748E7DcC04BE1Ef8f4E4F6bdd54048932' },
    { name: 'ArcherSwap', factory: '0xe0b8838e8d73ff1CA193E8cc2bC0Ebf7Cf86F620' },
    { name: 'IceCreamSwap V2', factory: '0x9E6d21E759A7A288b80eef94E4737D313D31c13f' },
    { name: 'SushiSwap V2', factory: '0xB45e53277a7e0F1D35f2a77160e91e25507f1763' },
    { name: 'Glyph V2', factory: '0x3e723c7b6188e8ef638db9685af45c7cb66f77b9' },
  ].map((d) => ({ name: d.name, factory: getAddress(d.factory) })),
  quoteTokens: ['0x40375C92d9FAf44d2f9db9Bd9ba41a3317a2404f', '0x191e94fa59739e188dce837f7f6978d84727ad01'].map((a) => getAddress(a)),
  usdTokens: [
    '0x900101d06A7426441Ae63e9AB3B9b0F63Be145F1', // USDT (LayerZero), 6 dp
    '0xa4151B2B3e269645181dCcF2D426cE75fcbDeca9', // USDC, 6 dp
    '0x81bCEa03678D1CEF4830942227720D542Aa15817', // USDT (IceCreamSwap bridge), 18 dp
  ].map((a) => getAddress(a)),
  ...coreTiming,
}

/** Core testnet: no DEX preset; set DEXES, QUOTE_TOKENS and USD_TOKENS. */
export const testnet: Preset = {
  rpcUrl: 'https://rpc.test2.btcs.network',
  dexes: [],
  quoteTokens: [],
  usdTokens: [],
  ...coreTiming,
}

/** Which network the config selects: explicit CORE_NETWORK, else mainnet with an RPC URL, else the embedded devnet. */
export function selectedNetwork(config: Config): ChainSettings['network'] | 'none' {
  return config.CORE_NETWORK ?? (config.CORE_RPC_URL ? 'mainnet' : 'embedded')
}

/**
 * Merges a preset with the env overrides into the settings the chain follower and indexer use.
 *
 * @example
 * resolveChainSettings(config, 'mainnet', mainnet).dexes.length // 5
 */
export function resolveChainSettings(config: Config, network: ChainSettings['network'], preset: Preset): ChainSettings {
  const rpcUrl = config.CORE_RPC_URL ?? preset.rpcUrl
  if (!rpcUrl) throw new Error(`CORE_RPC_URL is required for CORE_NETWORK=${network}`)
  const wsUrl = config.CORE_WS_URL ?? (config.CORE_RPC_URL ? undefined : preset.wsUrl)
  const checksummed = (list: readonly string[] | undefined, fallback: Address[]) => (list ? list.map((a) => getAddress(a.toLowerCase())) : fallback)
  return {
    network,
    rpcUrl,
    ...(wsUrl ? { wsUrl } : {}),
    dexes: config.DEXES ? config.DEXES.map((d) => ({ name: d.name, factory: getAddress(d.factory.toLowerCase()) })) : preset.dexes,
    quoteTokens: checksummed(config.QUOTE_TOKENS, preset.quoteTokens),
    usdTokens: checksummed(config.USD_TOKENS, preset.usdTokens),
    launchers: checksummed(config.LAUNCHERS, preset.launchers),
    finalityDepth: config.FINALITY_DEPTH ?? preset.finalityDepth,
    pollIntervalMs: config.POLL_INTERVAL_MS ?? preset.pollIntervalMs,
    dayBlocks: config.REBUILD_BLOCKS ?? preset.dayBlocks,
    whaleUsd: config.ALERT_WHALE_USD ?? preset.whaleUsd,
    volumeMinUsd: config.ALERT_VOLUME_MIN_USD ?? preset.volumeMinUsd,
  }
}
