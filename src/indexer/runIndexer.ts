import type { Logger } from 'pino'
import type { Bus } from '../bus/bus.js'
import { createChainFollower, type ChainFollowerStatus } from '../chain/chainFollower.js'
import type { CheckpointStore } from '../chain/checkpoint.js'
import { readTokenMetadata } from '../chain/tokenMetadata.js'
import type { ChainSettings } from '../config/networks.js'
import type { WritableStateStore } from '../state/stateStore.js'
import { createIndexer, type Indexer } from './indexer.js'
import { readUsdPairs } from './usdPairs.js'

export type RunIndexerOptions = {
  settings: ChainSettings
  bus: Bus
  state: WritableStateStore
  checkpoint: CheckpointStore
  logger: Logger
  startBlock?: bigint
  backfillBlocks: number
  maxBlockRange: number
}

export type RunningIndexer = {
  stop(): Promise<void>
  status(): ChainFollowerStatus & { network: string } & ReturnType<Indexer['stats']>
}

/**
 * Follows the configured chain and publishes launches and trades: chain follower → indexer → bus.
 *
 * @example
 * const indexer = await runIndexer({ settings, bus, state, checkpoint, logger, backfillBlocks: 1200, maxBlockRange: 2000 })
 */
export async function runIndexer(options: RunIndexerOptions): Promise<RunningIndexer> {
  const { settings, logger } = options
  const log = logger.child({ module: 'indexer' })
  const indexer = createIndexer({
    bus: options.bus,
    state: options.state,
    // `follower` is defined below; metadata is read only once events flow.
    metadata: (token) => readTokenMetadata(follower.client, token),
    quotes: { quoteTokens: settings.quoteTokens, usdTokens: settings.usdTokens },
    logger: log,
  })
  const follower = createChainFollower({
    rpcUrl: settings.rpcUrl,
    ...(settings.wsUrl ? { wsUrl: settings.wsUrl } : {}),
    dexes: settings.dexes,
    launchers: settings.launchers,
    finalityDepth: settings.finalityDepth,
    pollIntervalMs: settings.pollIntervalMs,
    ...(options.startBlock !== undefined ? { startBlock: options.startBlock } : {}),
    backfillBlocks: options.backfillBlocks,
    maxBlockRange: options.maxBlockRange,
    checkpoint: options.checkpoint,
    logger: log,
    onEvents: (events) => indexer.handle(events),
  })
  for (const seed of await readUsdPairs(follower.client, settings)) await indexer.seedPair(seed)
  await follower.start()
  log.info({ network: settings.network, rpcUrl: settings.rpcUrl, wsUrl: settings.wsUrl, dexes: settings.dexes.map((d) => d.name), coreUsd: indexer.stats().coreUsd }, 'following the chain')
  return {
    stop: () => follower.stop(),
    status: () => ({ network: settings.network, ...follower.status(), ...indexer.stats() }),
  }
}
