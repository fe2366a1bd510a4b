import type { Logger } from 'pino'
import type { Config } from './config/config.js'
import { mainnet, resolveChainSettings, selectedNetwork, testnet, type ChainSettings } from './config/networks.js'
import { startAnvil } from './devnet/anvil.js'
import { deployDevnet, readDeployment, type Deployment } from './devnet/deploy.js'
import { createSimulator } from './devnet/simulator.js'

/** The chain this process follows, where its indexer's state is saved without Redis, and what to stop on shutdown. */
export type ChainSource = {
  settings: ChainSettings
  /** The state file of a process without Redis (null: the embedded devnet, a new chain each start). */
  stateFile: string | null
  deployment?: Deployment
  stop(): Promise<void>
}

/** Chain settings of a devnet deployment (ours: one factory, one launcher, WCORE, a USD stablecoin); CORE_RPC_URL/CORE_WS_URL override its URLs. */
export function devnetSettings(config: Config, deployment: Deployment, network: 'devnet' | 'embedded'): ChainSettings {
  const preset = {
    rpcUrl: deployment.rpcUrl,
    wsUrl: deployment.wsUrl,
    dexes: [{ name: deployment.dexName, factory: deployment.factory }],
    quoteTokens: [deployment.wcore],
    usdTokens: [deployment.usd],
    launchers: [deployment.launcher],
    finalityDepth: 12,
    pollIntervalMs: 250,
    dayBlocks: 86_400,
    whaleUsd: 100,
    volumeMinUsd: 50,
  }
  const urls = { CORE_RPC_URL: config.CORE_RPC_URL ?? deployment.rpcUrl, CORE_WS_URL: config.CORE_WS_URL ?? deployment.wsUrl }
  return resolveChainSettings({ ...config, ...urls }, network, preset)
}

/**
 * Opens the chain the config selects: Core mainnet/testnet presets, a running devnet described by
 * `DEVNET_FILE`, or an embedded devnet (anvil + contracts + market simulator) started here.
 * Null for `CORE_NETWORK=none`.
 *
 * @example
 * const source = await openChainSource(config, logger) // embedded devnet when CORE_RPC_URL is unset
 */
export async function openChainSource(config: Config, logger: Logger): Promise<ChainSource | null> {
  const network = selectedNetwork(config)
  const fileCheckpoint = (name: string) => config.CHECKPOINT_FILE ?? `.data/checkpoint-${name}.json`
  switch (network) {
    case 'none':
      return null
    case 'mainnet':
    case 'testnet':
      return { settings: resolveChainSettings(config, network, network === 'mainnet' ? mainnet : testnet), stateFile: fileCheckpoint(network), stop: async () => {} }
    case 'devnet': {
      const deployment = await readDeployment(config.DEVNET_FILE)
      return { settings: devnetSettings(config, deployment, 'devnet'), stateFile: fileCheckpoint(`devnet-${deployment.chainId}`), deployment, stop: async () => {} }
    }
    case 'embedded':
      return startEmbedded(config, logger)
  }
}

/** anvil + contracts + simulator in this process; a fresh chain each time, so nothing is saved. */
async function startEmbedded(config: Config, logger: Logger): Promise<ChainSource> {
  const log = logger.child({ module: 'devnet' })
  const blockTime = config.DEVNET_BLOCK_TIME > 0 ? config.DEVNET_BLOCK_TIME : undefined
  const anvil = await startAnvil({ port: config.DEVNET_RPC_PORT, ...(blockTime ? { blockTime } : {}) })
  try {
    const deployment = await deployDevnet({ rpcUrl: anvil.rpcUrl, wsUrl: anvil.wsUrl, file: config.DEVNET_FILE })
    const simulator = config.SIMULATOR ? await createSimulator({ rpcUrl: anvil.rpcUrl, deployment, seed: config.SIM_SEED, log }) : null
    simulator?.start()
    log.info({ rpcUrl: anvil.rpcUrl, wsUrl: anvil.wsUrl, blockTime: blockTime ?? 'automine', simulator: Boolean(simulator) }, `embedded devnet on ${anvil.rpcUrl}`)
    return {
      settings: devnetSettings(config, deployment, 'embedded'),
      stateFile: null,
      deployment,
      async stop() {
        await simulator?.stop()
        await anvil.stop()
      },
    }
  } catch (err) {
    await anvil.stop()
    throw err
  }
}
