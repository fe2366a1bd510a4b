import type { Logger } from 'pino'
import { createPublicClient, http } from 'viem'
import type { AlertThresholds } from '../alerts/rules.js'
import { createChainFollower, type ChainFollowerStatus } from '../chain/chainFollower.js'
import type { CheckpointStore } from '../chain/checkpoint.js'
import { readTokenMetadata } from '../chain/tokenMetadata.js'
import type { ChainSettings } from '../config/networks.js'
import type { Ledger } from '../ledger/ledger.js'
import { createIndexer } from './indexer.js'
import { readUsdPairs } from './usdPairs.js'

export type RunIndexerOptions = {
  settings: ChainSettings
  ledger: Ledger
  checkpoint: CheckpointStore
  thresholds: AlertThresholds
  logger: Logger
  startBlock?: bigint
  backfillBlocks: number
  maxBlockRange: number
}

export type RunningIndexer = {
  stop(): Promise<void>
  status(): ChainFollowerStatus & { network: string; publishFrom: bigint } & ReturnType<ReturnType<typeof createIndexer>['stats']>
}

/** Where to start reading and from which block on to publish. */
export type ReplayPlan = { startBlock: bigint; publishFrom: bigint }

/**
 * Publishing resumes after the checkpoint (or at `START_BLOCK`, or `BACKFILL_BLOCKS` behind the head);
 * reading starts a day of blocks earlier, so the 24 h windows, recent launches and trades are rebuilt
 * as if the server had never stopped, without sending anything twice.
 *
 * @example
 * replayPlan({ checkpoint: 1000n, head: 1010n, dayBlocks: 100, backfillBlocks: 50 }) // { startBlock: 901n, publishFrom: 1001n }
 */
export function replayPlan(p: { checkpoint?: bigint; startBlock?: bigint; head: bigint; dayBlocks: number; backfillBlocks: number }): ReplayPlan {
  const max0 = (n: bigint) => (n < 0n ? 0n : n)
  const publishFrom = p.checkpoint !== undefined ? p.checkpoint + 1n : (p.startBlock ?? max0(p.head + 1n - BigInt(p.backfillBlocks)))
  return { startBlock: max0(publishFrom - BigInt(p.dayBlocks)), publishFrom }
}

/**
 * Follows the configured chain and publishes the four channels: chain follower → indexer → ledger
 * (bus + read model).
 *
 * @example
 * const indexer = await runIndexer({ settings, ledger, checkpoint, thresholds, logger, backfillBlocks: 1200, maxBlockRange: 2000 })
 */
export async function runIndexer(options: RunIndexerOptions): Promise<RunningIndexer> {
  const { settings, logger } = options
  const log = logger.child({ module: 'indexer' })
  const client = createPublicClient({ transport: http(settings.rpcUrl) })
  const saved = await options.checkpoint.load()
  const plan = replayPlan({ checkpoint: saved?.block.number, startBlock: options.startBlock, head: await client.getBlockNumber(), dayBlocks: settings.dayBlocks, backfillBlocks: options.backfillBlocks })
  const indexer = createIndexer({
    ledger: options.ledger,
    // `follower` is defined below; metadata is read only once events flow.
    metadata: (token) => readTokenMetadata(follower.client, token),
    quotes: { quoteTokens: settings.quoteTokens, usdTokens: settings.usdTokens },
    thresholds: options.thresholds,
    logger: log,
    publishFrom: plan.publishFrom,
  })
  const follower = createChainFollower({
    rpcUrl: settings.rpcUrl,
    ...(settings.wsUrl ? { wsUrl: settings.wsUrl } : {}),
    dexes: settings.dexes,
    launchers: settings.launchers,
    finalityDepth: settings.finalityDepth,
    pollIntervalMs: settings.pollIntervalMs,
    startBlock: plan.startBlock,
    maxBlockRange: options.maxBlockRange,
    // The replay plan decides where to start; the follower only saves progress.
    checkpoint: { load: async () => null, save: (c) => options.checkpoint.save(c) },
    logger: log,
    onEvents: (events) => indexer.handle(events),
  })
  for (const seed of await readUsdPairs(follower.client, settings)) await indexer.seedPair(seed)
  await follower.start()
  log.info({ network: settings.network, rpcUrl: settings.rpcUrl, wsUrl: settings.wsUrl, dexes: settings.dexes.map((d) => d.name), from: plan.startBlock, publishFrom: plan.publishFrom, coreUsd: indexer.stats().coreUsd }, 'following the chain')
  return {
    stop: () => follower.stop(),
    status: () => ({ network: settings.network, publishFrom: plan.publishFrom, ...follower.status(), ...indexer.stats() }),
  }
}
