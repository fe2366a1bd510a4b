import type { Logger } from 'pino'
import { isAddress, type Address, type Hash, type PublicClient } from 'viem'
import { extendWindow, rollbackWindow, windowAt } from './blockWindow.js'
import type { Checkpoint, CheckpointStore, WindowBlock } from './checkpoint.js'
import { createOutageLog } from '../logging/outage.js'
import { createCountedRpc, type GetLogsPurpose, type RpcCallCounts } from './countedRpc.js'
import { backoffDelay, ChainError, errorKind, isRangeLimitError, sleep } from './errors.js'
import type { BlockHeader, ChainEvent, TransferRecord } from './events.js'
import { fetchRange, type FetchedRange, type RangeContext } from './fetchRange.js'
import { createHeadWatcher, type HeadMode } from './headWatcher.js'
import { createPairResolver } from './pairResolver.js'
import { createRangeSizer } from './rangeSizer.js'
import { createRecentLogs } from './recentLogs.js'
import { findCommonAncestor, reorgEvent } from './reorg.js'
import { createChainRpc } from './rpc.js'
import { readTransferHistory, type TransferHistoryParameters } from './transferHistory.js'
import type { TransferScope } from './transferLogs.js'

/** Which ERC-20 `Transfer`s the follower delivers with the DEX logs. */
export type FollowTransfersOptions = {
  /**
   * The contracts watched now (launched tokens, their pairs: the LP token is the pair), any case. Called
   * once per range, after `onEvents` of the previous one resolved. Their `Transfer`s of the whole range come.
   */
  tracked: () => Iterable<string>
  /**
   * Never fetched (quote tokens: WCORE, stablecoins), any case. Every other contract a kept `PairCreated`
   * (`token0`, `token1`, `pair`) or `TokenCreated` (`token`) names has its `Transfer`s delivered from the
   * block that names it on; what came before is `transferHistory`'s to read.
   */
  exclude: Iterable<string>
  /** Addresses per `eth_getLogs` call (default 500). */
  addressesPerCall?: number
}

export type ChainFollowerOptions = {
  rpcUrl: string
  /** `newHeads` over WebSocket when set; polling otherwise. */
  wsUrl?: string
  /** UniswapV2-compatible factories whose pairs are followed. */
  dexes: readonly { name: string; factory: Address }[]
  /** Launchers whose `TokenCreated` events are followed. */
  launchers?: readonly Address[]
  /** Blocks behind the head after which a block is final (default 21, ~63 s on Core). */
  finalityDepth?: number
  /** Head polling interval when there is no WebSocket or it keeps failing (default 1000 ms). */
  pollIntervalMs?: number
  /** First block to process when there is no checkpoint. */
  startBlock?: bigint
  /** Without a checkpoint or `startBlock`, start this many blocks behind the head (default 1000). */
  backfillBlocks?: number
  /** Initial `eth_getLogs` chunk (default 2000 blocks); adapts to the node's limits. */
  maxBlockRange?: number
  /** Growth cap of the chunk (default 10 × `maxBlockRange`). */
  maxBlockRangeCap?: number
  checkpoint: CheckpointStore
  logger: Logger
  /**
   * Awaited before anything else is fetched or saved: slow consumers slow the follower down.
   * `position` is where the follower stands once these events are handled (the checkpoint it saves
   * next): a consumer that commits its own checkpoint with its output uses it.
   */
  onEvents: (events: ChainEvent[], position: Checkpoint) => Promise<void>
  /** Called once, the first time the follower has processed up to the head. */
  onCaughtUp?: () => void
  /** A step failed on the RPC (metrics), by kind (`errorKind`). */
  onRpcError?: (kind: string) => void
  /** An `eth_getLogs` over this many blocks, and what it was for (metrics). */
  onGetLogs?: (blocks: number, purpose: GetLogsPurpose) => void
  /** Also deliver the `Transfer`s of these contracts as `transfer` logs; none without it. */
  transfers?: FollowTransfersOptions
  /** Consecutive WebSocket failures before polling takes over (default 3). */
  wsFailuresBeforePoll?: number
  wsBackoffBaseMs?: number
  wsBackoffMaxMs?: number
  wsPingIntervalMs?: number
  rpcTimeoutMs?: number
  /** Bounds of the pair cache (default 100 000) and of the emitted-log dedupe set (default 50 000 txs). */
  pairCacheSize?: number
  recentTxs?: number
  /** Backoff of a failed step (default 250 ms doubling to 30 s). */
  retryBaseMs?: number
  retryMaxMs?: number
}

export type ChainFollowerStatus = {
  /** The newest head seen, or `null` before `start()`. */
  head: bigint | null
  /** The last fully processed block, or `null` before `start()`. */
  processed: bigint | null
  /** `backfill` while more than `finalityDepth` blocks behind the head. */
  mode: HeadMode | 'backfill'
  /** Has processed up to the head (or within the finality depth of it) since it started. */
  caughtUp: boolean
}

export type ChainFollower = {
  /** Loads the checkpoint, reads the head, then follows in the background. Rejects if the RPC is unreachable. */
  start(): Promise<void>
  /** Stops following; waits for an `onEvents` call (and its checkpoint save) in progress. Idempotent. */
  stop(): Promise<void>
  status(): ChainFollowerStatus
  /** The follower's viem client (for `readTokenMetadata` and other reads). */
  client: PublicClient
  /**
   * Every `Transfer` of one token from `fromBlock` to `toBlock`, in chain order, in chunks that adapt to the
   * node's range limit (learned across calls). Meant for `onEvents`: a token first seen at block N needs
   * `toBlock: N - 1n`. Retries retryable errors a few times, then throws.
   */
  transferHistory(params: TransferHistoryParameters): Promise<TransferRecord[]>
  /** RPC calls made so far (`eth_getLogs` by purpose, block reads). */
  stats(): ChainFollowerStats
}

export type ChainFollowerStats = RpcCallCounts & {
  /** Addresses resolved as pairs with `factory()/token0()/token1()` (three `eth_call`s each). */
  pairLookups: number
}

type Tip = { number: bigint; hash: Hash | null }

const blockTxs = (range: FetchedRange) =>
  new Map(range.blocks.map((b) => [b.block.number, [...new Set(b.logs.map((log) => log.txHash))]]))

/**
 * Creates a chain follower: backfills from the checkpoint (or `startBlock`, or head − `backfillBlocks`)
 * in adaptive chunks, then follows the head; emits each range's blocks with kept logs, `finalize` and
 * `head` progress, and a `reorg` when its unfinalized window no longer matches the chain.
 *
 * @example
 * const follower = createChainFollower({ rpcUrl, wsUrl, dexes, checkpoint, logger, onEvents: async (events) => {} })
 * await follower.start()
 */
export function createChainFollower(options: ChainFollowerOptions): ChainFollower {
  const log = options.logger
  const depth = BigInt(options.finalityDepth ?? 21)
  const abort = new AbortController()
  const counted = createCountedRpc(createChainRpc({ rpcUrl: options.rpcUrl, timeoutMs: options.rpcTimeoutMs, signal: abort.signal }), options.onGetLogs)
  const rpc = counted.rpc
  const factories = new Map(options.dexes.map((d) => [d.factory.toLowerCase(), d.name]))
  const ctx: RangeContext = {
    rpc,
    scope: { factories, launchers: new Set((options.launchers ?? []).map((a) => a.toLowerCase())) },
    pairs: createPairResolver({ client: rpc.client, factories, cacheSize: options.pairCacheSize }),
    recent: createRecentLogs(options.recentTxs ?? 50_000),
    ...(options.transfers ? { transfers: transferScope(options.transfers) } : {}),
  }
  const sizing = { initial: options.maxBlockRange ?? 2000, max: options.maxBlockRangeCap }
  const sizer = createRangeSizer(sizing)
  const historySizer = createRangeSizer(sizing)
  const wake = createWakeup()
  const state = { head: null as BlockHeader | null, processed: null as Tip | null, window: [] as WindowBlock[], finalized: -1n }
  let critical: Promise<unknown> = Promise.resolve()
  let loop: Promise<void> | null = null
  let caughtUp = false
  let everCaughtUp = false

  const heads = createHeadWatcher({
    wsUrl: options.wsUrl,
    latestHeader: rpc.latestHeader,
    pollIntervalMs: options.pollIntervalMs ?? 1000,
    logger: log,
    onHead,
    onResync: () => void rpc.latestHeader().then(onHead, (err: unknown) => log.warn({ err }, 'chain head fetch failed')),
    wsFailuresBeforePoll: options.wsFailuresBeforePoll,
    wsBackoffBaseMs: options.wsBackoffBaseMs,
    wsBackoffMaxMs: options.wsBackoffMaxMs,
    wsPingIntervalMs: options.wsPingIntervalMs,
  })

  function onHead(head: BlockHeader) {
    if (state.head?.hash === head.hash) return
    // An older head than the newest seen (a poll or a resync answered late) is news only when it
    // contradicts a block we processed at that height (a reorg); otherwise the head would go back.
    if (state.head && head.number < state.head.number) {
      const ours = windowAt(state.window, head.number)
      if (!ours || ours.hash === head.hash) return
    }
    state.head = head
    wake.notify()
  }

  /** Runs `onEvents` then saves the checkpoint, as one unit `stop()` waits for. */
  async function deliver(events: ChainEvent[], position: Checkpoint, commit: () => void): Promise<void> {
    if (abort.signal.aborted) throw new ChainError('chain_stopped', 'stopped')
    const unit = (async () => {
      await options.onEvents(events, position)
      commit()
      const { processed, window } = state
      if (processed?.hash) {
        await options.checkpoint
          .save({ block: { number: processed.number, hash: processed.hash }, window })
          .catch((err: unknown) => log.warn({ err, block: processed.number }, 'chain checkpoint save failed'))
      }
    })()
    critical = unit.catch(() => {})
    await unit
  }

  /** One unit of work. Returns false when there is nothing to do until the next head. */
  async function step(): Promise<boolean> {
    const head = state.head
    const tip = state.processed
    if (!head || !tip) return false
    if (head.number <= tip.number) {
      const ours = windowAt(state.window, head.number)
      if (!ours || ours.hash === head.hash) {
        noteCatchUp(true)
        return false
      }
      await handleReorg()
      return true
    }
    const from = tip.number + 1n
    const live = from > head.number - depth
    const limit = live ? head.number : head.number - depth
    const to = min(limit, from + BigInt(sizer.size) - 1n)
    const range = await fetchSized(from, to, live)
    if (!range) return true
    if (tip.hash !== null && range.first.parentHash !== tip.hash) {
      await handleReorg()
      return true
    }
    await commitRange(range, live)
    return true
  }

  /** Fetches a range; on a range-limit error shrinks the chunk and returns null (the caller retries). */
  async function fetchSized(from: bigint, to: bigint, live: boolean): Promise<FetchedRange | null> {
    const blocks = Number(to - from) + 1
    try {
      const range = await fetchRange(ctx, from, to, { live })
      sizer.grow(blocks)
      return range
    } catch (err) {
      if (!isRangeLimitError(err) || to === from) throw err
      sizer.shrink(err, blocks)
      log.warn({ err, range: { from, to }, next: sizer.size }, 'eth_getLogs refused the range; shrinking it')
      return null
    }
  }

  async function commitRange(range: FetchedRange, live: boolean): Promise<void> {
    const txs = blockTxs(range)
    const added = (live ? range.headers : [range.tip]).map((h) => ({
      number: h.number,
      hash: h.hash,
      parentHash: h.parentHash,
      txHashes: txs.get(h.number) ?? [],
    }))
    const finalAt = max(state.head?.number ?? range.tip.number, range.tip.number) - depth
    const { window, anchor } = extendWindow(state.window, added, finalAt)
    const events: ChainEvent[] = [...range.blocks]
    if (anchor && anchor.number > state.finalized) events.push({ kind: 'finalize', block: { number: anchor.number, hash: anchor.hash } })
    events.push({ kind: 'head', block: range.tip })
    await deliver(events, { block: { number: range.tip.number, hash: range.tip.hash }, window }, () => {
      for (const block of range.blocks) for (const l of block.logs) ctx.recent.add(l.txHash, l.logIndex)
      state.processed = { number: range.tip.number, hash: range.tip.hash }
      state.window = window
      if (anchor) state.finalized = max(state.finalized, anchor.number)
    })
    log.debug({ from: range.first.number, to: range.tip.number, blocks: range.blocks.length }, 'chain range processed')
    noteCatchUp(live)
  }

  function noteCatchUp(live: boolean) {
    if (live && !caughtUp) log.info({ block: state.processed?.number, mode: heads.mode() }, 'chain follower caught up; following the head')
    caughtUp = live
    if (live && !everCaughtUp) {
      everCaughtUp = true
      options.onCaughtUp?.()
    }
  }

  async function handleReorg(): Promise<void> {
    const tip = state.processed as Tip
    const window = state.window.length > 0 || tip.hash === null ? state.window : [{ ...tip, hash: tip.hash, parentHash: tip.hash, txHashes: [] }]
    const plan = await findCommonAncestor(rpc, window)
    if (plan.removed.length === 0 && !plan.unrecoverable) {
      state.head = await rpc.latestHeader() // a stale or foreign head: nothing of ours changed
      return
    }
    const event = reorgEvent(plan)
    const fields = { ancestor: plan.commonAncestor.number, removed: plan.removed.length, txs: event.txHashes.length }
    if (plan.unrecoverable) log.error(fields, 'chain reorg deeper than the finality depth: unrecoverable, resuming from the canonical chain')
    else log.warn(fields, 'chain reorg')
    const kept = rollbackWindow(state.window, plan.commonAncestor.number).kept
    await deliver([event], { block: { ...plan.commonAncestor }, window: kept }, () => {
      for (const tx of event.txHashes) ctx.recent.forget(tx)
      state.processed = { ...plan.commonAncestor }
      state.window = kept
      state.finalized = min(state.finalized, plan.commonAncestor.number)
    })
  }

  async function run(): Promise<void> {
    const outage = createOutageLog(log, 'chain follower')
    for (let failures = 0; !abort.signal.aborted; ) {
      try {
        const worked = await step()
        failures = 0
        outage.recovered({ block: state.processed?.number })
        if (!worked) await wake.wait(abort.signal)
      } catch (err) {
        if (abort.signal.aborted) break
        const delayMs = backoffDelay(failures++, options.retryBaseMs ?? 250, options.retryMaxMs ?? 30_000)
        const race = err instanceof ChainError && err.code === 'chain_race' // the chain moved under us: routine
        if (race) log.debug({ err, block: state.processed?.number }, 'the chain moved during a step; retrying')
        else {
          options.onRpcError?.(errorKind(err))
          outage.failed(err, { block: state.processed?.number })
        }
        await sleep(delayMs, abort.signal).catch(() => {})
      }
    }
  }

  async function init(): Promise<void> {
    const [saved, head] = await Promise.all([options.checkpoint.load(), rpc.latestHeader()])
    state.head = head
    if (saved) {
      state.processed = { number: saved.block.number, hash: saved.block.hash }
      state.window = saved.window
    } else {
      const back = BigInt(options.backfillBlocks ?? 1000)
      const start = options.startBlock ?? max(0n, head.number - back + 1n)
      state.processed = { number: start - 1n, hash: null }
    }
    log.info({ from: state.processed.number + 1n, head: head.number, resumed: saved !== null }, 'chain follower starting')
  }

  return {
    client: rpc.client,
    transferHistory: (params) => readTransferHistory({ rpc: counted.history, sizer: historySizer, signal: abort.signal, retryBaseMs: options.retryBaseMs }, params),
    stats: () => ({ ...counted.counts(), pairLookups: ctx.pairs.lookups }),
    async start() {
      if (loop) return
      await init()
      heads.start()
      loop = run()
    },
    async stop() {
      abort.abort()
      heads.stop()
      wake.notify()
      await critical
    },
    status() {
      const head = state.head?.number ?? null
      const processed = state.processed?.number ?? null
      const behind = head !== null && processed !== null && processed < head - depth
      return { head, processed, mode: behind ? 'backfill' : heads.mode(), caughtUp: everCaughtUp }
    },
  }
}

/** Validates the transfer options once: addresses, a positive chunk size. */
function transferScope(options: FollowTransfersOptions): TransferScope {
  const exclude = new Set([...options.exclude].map((a) => a.toLowerCase()))
  const bad = [...exclude].find((a) => !isAddress(a, { strict: false }))
  if (bad !== undefined) throw new Error(`transfers.exclude: expected addresses, got ${JSON.stringify(bad)}`)
  const addressesPerCall = options.addressesPerCall ?? 500
  if (!Number.isInteger(addressesPerCall) || addressesPerCall < 1) throw new Error(`transfers.addressesPerCall: expected a positive integer, got ${addressesPerCall}`)
  return { tracked: options.tracked, exclude, addressesPerCall }
}

const min = (a: bigint, b: bigint) => (a < b ? a : b)
const max = (a: bigint, b: bigint) => (a > b ? a : b)

/** A level-triggered wake-up: `notify()` before `wait()` makes the next `wait()` return at once. */
function createWakeup() {
  let pending = false
  let resolve: (() => void) | null = null
  return {
    notify() {
      pending = true
      resolve?.()
    },
    async wait(signal: AbortSignal) {
      if (!pending && !signal.aborted) await new Promise<void>((r) => (resolve = r))
      resolve = null
      pending = false
    },
  }
}
