import type { Address, Hash } from 'viem'
import { decodeDexLog, type DecodeScope, type LogBody } from './decode.js'
import { ChainError } from './errors.js'
import type { BlockEvent, BlockHeader, DecodedLog, PairInfo, RawLog } from './events.js'
import { mapLimit } from './mapLimit.js'
import type { PairResolver } from './pairResolver.js'
import type { RecentLogs } from './recentLogs.js'
import type { BlockWithSenders, ChainRpc } from './rpc.js'

/** What `fetchRange` needs: the RPC, what to keep, and what was already emitted. */
export type RangeContext = {
  rpc: ChainRpc
  scope: DecodeScope
  pairs: PairResolver
  recent: RecentLogs
  /** RPC calls in flight at once for headers and pair lookups (default 8). */
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

type Kept = { raw: RawLog; body: LogBody; pair: PairInfo | null }

const race = (message: string) => new ChainError('chain_race', message)

/**
 * Fetches, decodes and filters the followed logs of blocks `from..to`, and the blocks they need.
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
  const raw = sortLogs(await ctx.rpc.getLogs({ fromBlock: from, toBlock: to }))
  const kept = await keepLogs(ctx, raw)
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
  const [older, latest] = await Promise.all([
    to > from ? ctx.rpc.getLogs({ fromBlock: from, toBlock: to - 1n }) : [],
    ctx.rpc.getLogs({ blockHash: newest.header.hash }),
  ])
  const raw = sortLogs([...older, ...latest])
  checkConsistency(blocks, raw)
  return build(from, to, blocks, await keepLogs(ctx, raw))
}

function sortLogs(raw: RawLog[]): RawLog[] {
  return raw.sort((a, b) => (a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1))
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
async function keepLogs(ctx: RangeContext, raw: RawLog[]): Promise<Kept[]> {
  const decoded: { raw: RawLog; body: LogBody }[] = []
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
  return decoded.flatMap(({ raw, body }): Kept[] => {
    if (!isPairScoped(body)) return [{ raw, body, pair: null }]
    const pair = byPair.get(body.pair) ?? null
    return pair ? [{ raw, body, pair }] : []
  })
}

function isPairScoped(body: LogBody): body is Extract<LogBody, { kind: 'swap' | 'sync' | 'mint' | 'burn' }> {
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
  return body.pair
}
