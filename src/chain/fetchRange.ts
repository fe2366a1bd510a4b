import type { Address, Hash } from 'viem'
import { decodeDexLog, decodeTransferLog, type DecodeScope, type DexLogBody, type LogBody } from './decode.js'
import { ChainError } from './errors.js'
import type { BlockEvent, BlockHeader, DecodedLog, PairInfo, RawLog } from './events.js'
import { mapLimit } from './mapLimit.js'
import type { PairResolver } from './pairResolver.js'
import type { RecentLogs } from './recentLogs.js'
import type { BlockWithSenders, ChainRpc, LogsWhere } from './rpc.js'
import { fetchTransferLogs, transferTargets, type TransferScope } from './transferLogs.js'

/** What `fetchRange` needs: the RPC, what to keep, and what was already emitted. */
export type RangeContext = {
  rpc: ChainRpc
  scope: DecodeScope
  pairs: PairResolver
  recent: RecentLogs
  /** Whose `Transfer`s to bring with the DEX logs; none without it. */
  transfers?: TransferScope
  /** RPC calls in flight at once for headers, pair lookups and transfer chunks (default 8). */
  concurrency?: number
}

/** A processed block range, ready to emit. */
export type FetchedRange = {
  /** The header of the range's first block: its `parentHash` must be our tip. */
  first: BlockHeader
  /** The header of the range's last block. */
  tip: BlockHeader
  /** Live ranges: every header from first to tip, chained. Backfill ranges: first, tip and blocks with logs. */
  headers: BlockHeader[]
  /** Blocks with kept logs, ascending, logs in `logIndex` order. */
  blocks: BlockEvent[]
}

type Kept<B extends LogBody = LogBody> = { raw: RawLog; body: B; pair: PairInfo | null }

const race = (message: string) => new ChainError('chain_race', message)

/**
 * Fetches, decodes and filters the followed logs of blocks `from..to`, and the blocks they need.
 *
 * With `ctx.transfers`, once the DEX logs are kept, the `Transfer`s of the tracked contracts and of those
 * the kept logs announce come too (see `transferTargets`), with the same range or by-hash split, one call
 * per chunk of addresses; they are merged into their blocks in `logIndex` order.
 *
 * A backfill range (final blocks) makes one `eth_getLogs` over the range, then fetches each block that
 * kept a log once, with its transactions (for `from`), plus the first and last headers.
 *
 * A live range fetches every block first (with transactions: one call each), checks that they chain,
 * then takes the logs of all but the newest with one ranged `eth_getLogs` and those of the newest by
 * its hash, so a node that has not caught up with the head errors rather than answering `[]`. Every
 * log must belong to the block fetched at its number. A mismatch (the chain moved under us) throws a
 * retryable `chain_race`.
 *
 * @example
 * const range = await fetchRange(ctx, 100n, 120n, { live: true })
 */
export async function fetchRange(ctx: RangeContext, from: bigint, to: bigint, { live }: { live: boolean }): Promise<FetchedRange> {
  return live ? fetchLive(ctx, from, to) : fetchBackfill(ctx, from, to)
}

async function fetchBackfill(ctx: RangeContext, from: bigint, to: bigint): Promise<FetchedRange> {
  const range: LogsWhere = { fromBlock: from, toBlock: to }
  const raw = sortLogs(await ctx.rpc.getLogs(range))
  const dex = await keepLogs(ctx, raw)
  const kept = merge(dex, await keepTransfers(ctx, dex, [range]))
  const withLogs = new Map<bigint, Hash>(kept.map(({ raw }) => [raw.blockNumber, raw.blockHash]))
  const numbers = [...new Set([from, ...withLogs.keys(), to])]
  const blocks = await mapLimit(numbers, ctx.concurrency ?? 8, async (number): Promise<BlockWithSenders | null> => {
    const hash = withLogs.get(number)
    if (hash !== undefined) return ctx.rpc.blockWithSenders({ hash })
    const header = await ctx.rpc.headerByNumber(number)
    return header && { header, senders: new Map() }
  })
  return build(from, to, indexBlocks(numbers, blocks), kept)
}

async function fetchLive(ctx: RangeContext, from: bigint, to: bigint): Promise<FetchedRange> {
  const numbers = rangeOf(from, to)
  const blocks = indexBlocks(numbers, await mapLimit(numbers, ctx.concurrency ?? 8, (number) => ctx.rpc.blockWithSenders({ number })))
  const newest = blocks.get(to) as BlockWithSenders
  const where: LogsWhere[] = [...(to > from ? [{ fromBlock: from, toBlock: to - 1n }] : []), { blockHash: newest.header.hash }]
  const raw = sortLogs((await Promise.all(where.map((w) => ctx.rpc.getLogs(w)))).flat())
  checkConsistency(blocks, raw)
  const dex = await keepLogs(ctx, raw)
  const transfers = await keepTransfers(ctx, dex, where)
  checkConsistency(blocks, transfers.map((k) => k.raw))
  return build(from, to, blocks, merge(dex, transfers))
}

/** The `Transfer`s the range needs (none without `ctx.transfers`), decoded, minus those already emitted. */
async function keepTransfers(ctx: RangeContext, dex: readonly Kept<DexLogBody>[], where: readonly LogsWhere[]): Promise<Kept[]> {
  if (!ctx.transfers) return []
  const targets = transferTargets(ctx.transfers, dex.map(({ raw, body }) => ({ blockNumber: raw.blockNumber, body })))
  if (targets.size === 0) return []
  const raw = await fetchTransferLogs(ctx.rpc, ctx.transfers, targets, where, ctx.concurrency ?? 8)
  return raw.flatMap((log): Kept[] => {
    if (ctx.recent.has(log.txHash, log.logIndex)) return []
    const body = decodeTransferLog(log)
    return body ? [{ raw: log, body, pair: null }] : []
  })
}

/** DEX and transfer logs in chain order. */
function merge(dex: readonly Kept[], transfers: readonly Kept[]): Kept[] {
  if (transfers.length === 0) return [...dex]
  return [...dex, ...transfers].sort((a, b) => compareLogs(a.raw, b.raw))
}

function compareLogs(a: RawLog, b: RawLog): number {
  return a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1
}

function sortLogs(raw: RawLog[]): RawLog[] {
  return raw.sort(compareLogs)
}

/** Indexes fetched blocks by number; a block the node did not have is a race. */
function indexBlocks(numbers: bigint[], blocks: (BlockWithSenders | null)[]): Map<bigint, BlockWithSenders> {
  const byNumber = new Map<bigint, BlockWithSenders>()
  blocks.forEach((block, i) => {
    if (block === null) throw race(`block ${numbers[i]} not found`)
    byNumber.set(block.header.number, block)
  })
  return byNumber
}

function build(from: bigint, to: bigint, blocks: Map<bigint, BlockWithSenders>, kept: Kept[]): FetchedRange {
  const first = blocks.get(from)?.header
  const tip = blocks.get(to)?.header
  if (!first || !tip) throw race(`blocks ${from}..${to} not found`)
  const headers = [...blocks.values()].map((b) => b.header).sort((a, b) => (a.number < b.number ? -1 : 1))
  return { first, tip, headers, blocks: assemble(kept, blocks) }
}

/** Decodes, keeps followed factories/launchers, resolves pairs and drops already emitted logs. */
async function keepLogs(ctx: RangeContext, raw: RawLog[]): Promise<Kept<DexLogBody>[]> {
  const decoded: { raw: RawLog; body: DexLogBody }[] = []
  for (const log of raw) {
    if (ctx.recent.has(log.txHash, log.logIndex)) continue
    const body = decodeDexLog(log, ctx.scope)
    if (body === null) continue
    if (body.kind === 'pairCreated') {
      ctx.pairs.remember(body.pair, { dex: body.dex, factory: body.factory, token0: body.token0, token1: body.token1 })
    }
    decoded.push({ raw: log, body })
  }
  const pairAddresses = [...new Set(decoded.flatMap(({ body }) => (isPairScoped(body) ? [body.pair] : [])))]
  const infos = await mapLimit(pairAddresses, ctx.concurrency ?? 8, (pair) => ctx.pairs.resolve(pair))
  const byPair = new Map<Address, PairInfo | null>(pairAddresses.map((pair, i) => [pair, infos[i] ?? null]))
  return decoded.flatMap(({ raw, body }): Kept<DexLogBody>[] => {
    if (!isPairScoped(body)) return [{ raw, body, pair: null }]
    const pair = byPair.get(body.pair) ?? null
    return pair ? [{ raw, body, pair }] : []
  })
}

function isPairScoped(body: LogBody): body is Extract<DexLogBody, { kind: 'swap' | 'sync' | 'mint' | 'burn' }> {
  return body.kind === 'swap' || body.kind === 'sync' || body.kind === 'mint' || body.kind === 'burn'
}

function rangeOf(from: bigint, to: bigint): bigint[] {
  const numbers: bigint[] = []
  for (let n = from; n <= to; n++) numbers.push(n)
  return numbers
}

/** Live ranges: headers must chain and every log must belong to the header we fetched. */
function checkConsistency(blocks: Map<bigint, BlockWithSenders>, raw: RawLog[]): void {
  for (const [number, { header }] of blocks) {
    const parent = blocks.get(number - 1n)
    if (parent && parent.header.hash !== header.parentHash) throw race(`block ${number} does not chain to its parent`)
  }
  for (const log of raw) {
    if (blocks.get(log.blockNumber)?.header.hash !== log.blockHash) throw race(`log of block ${log.blockNumber} from another branch`)
  }
}

function assemble(kept: Kept[], blocks: Map<bigint, BlockWithSenders>): BlockEvent[] {
  const events = new Map<bigint, BlockEvent>()
  for (const { raw, body, pair } of kept) {
    const block = blocks.get(raw.blockNumber)
    const from = block?.senders.get(raw.txHash)
    if (!block || !from || block.header.hash !== raw.blockHash) throw race(`transaction ${raw.txHash} not in block ${raw.blockNumber}`)
    const meta = { blockNumber: raw.blockNumber, blockHash: raw.blockHash, txHash: raw.txHash, logIndex: raw.logIndex, address: emitter(body), from }
    const log = { ...meta, ...pair, ...body } as DecodedLog
    const event = events.get(raw.blockNumber) ?? { kind: 'block' as const, block: block.header, logs: [] }
    event.logs.push(log)
    events.set(raw.blockNumber, event)
  }
  return [...events.values()]
}

/** The emitting contract, already checksummed by the decoder. */
function emitter(body: LogBody): Address {
  if (body.kind === 'pairCreated') return body.factory
  if (body.kind === 'tokenCreated') return body.launcher
  if (body.kind === 'transfer') return body.token
  return body.pair
}
