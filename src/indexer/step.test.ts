import { getAddress, type Address, type Hash } from 'viem'
import { describe, expect, it } from 'vitest'
import type { AlertThresholds } from '../alerts/rules.js'
import type { BlockEvent, DecodedLog, MintLog, PairCreatedLog, SwapLog, SyncLog } from '../chain/events.js'
import type { TokenMeta } from '../market/book.js'
import { undoBlocks, type BlockRecord } from './reorg.js'
import { createIndexerState, dumpState, loadState, type IndexerState } from './state.js'
import { applyBlock, type StepOptions } from './step.js'
import { createTableStore, decodeJson, encodeJson } from './tables.js'

const addr = (n: number) => getAddress(`0x${n.toString(16).padStart(40, '0')}`)
const WCORE = addr(0xc0)
const USD = addr(0x05d)
const USD_PAIR = addr(0x1111)
const MEME = addr(0xa1)
const PAIR = addr(0x2222)
const QUIET = addr(0xa2)
const QUIET_PAIR = addr(0x3333)
const TRADER = addr(0x77)
const CREATOR = addr(0x99)
const E18 = 10n ** 18n

const thresholds: AlertThresholds = {
  pricePercent: 20,
  priceWindowSec: 300,
  volumeMultiplier: 5,
  volumeWindowSec: 300,
  volumeMinUsd: 50,
  whaleUsd: 100,
  whalePoolPercent: 5,
  rugPercent: 50,
  rugWindowSec: 600,
  rugSellPercent: 20,
  cooldownSec: 300,
}
const options: StepOptions = { quotes: { quoteTokens: [WCORE], usdTokens: [USD] }, thresholds, repricePercent: 0.5 }
const meta = new Map<string, TokenMeta>([
  [MEME, { name: 'Meme', symbol: 'MEME', decimals: 18, totalSupply: 1_000_000n * E18 }],
  [QUIET, { name: 'Quiet', symbol: 'QT', decimals: 18, totalSupply: 1_000_000n * E18 }],
  [USD, { name: 'USD', symbol: 'USD', decimals: 6, totalSupply: null }],
])
const T0 = 1_700_000_000 - (1_700_000_000 % 60)

let logIndex = 0
function base(block: number, pair: Address, from: Address = TRADER) {
  const hash = `0x${(++logIndex).toString(16).padStart(64, '0')}` as Hash
  return { blockNumber: BigInt(block), blockHash: `0x${block.toString(16).padStart(64, 'b')}` as Hash, txHash: hash, logIndex, address: pair, from, dex: 'Dex', factory: addr(0xfac) }
}
const memePair = (pair: Address, token: Address) => ({ pair, token0: token, token1: WCORE })
const created = (block: number, pair: Address, token: Address): PairCreatedLog => ({ ...base(block, addr(0xfac), CREATOR), kind: 'pairCreated', ...memePair(pair, token) })
const mint = (block: number, pair: Address, token: Address, tokens: bigint, core: bigint): MintLog => ({ ...base(block, pair, CREATOR), kind: 'mint', ...memePair(pair, token), sender: CREATOR, amount0: tokens, amount1: core })
const sync = (block: number, pair: Address, token: Address, tokens: bigint, core: bigint): SyncLog => ({ ...base(block, pair), kind: 'sync', ...memePair(pair, token), reserve0: tokens, reserve1: core })
const usdSync = (block: number, usd: bigint, core: bigint): SyncLog => ({ ...base(block, USD_PAIR), kind: 'sync', pair: USD_PAIR, token0: USD, token1: WCORE, reserve0: usd, reserve1: core })
const buy = (block: number, pair: Address, token: Address, core: bigint, tokens: bigint): SwapLog => ({ ...base(block, pair), kind: 'swap', ...memePair(pair, token), sender: TRADER, to: TRADER, amount0In: 0n, amount1In: core, amount0Out: tokens, amount1Out: 0n })

function block(number: number, logs: DecodedLog[], seconds = number * 3): BlockEvent {
  return { kind: 'block', block: { number: BigInt(number), hash: `0x${number.toString(16).padStart(64, 'b')}` as Hash, parentHash: `0x${(number - 1).toString(16).padStart(64, 'b')}` as Hash, timestamp: BigInt(T0 + seconds) }, logs }
}

/** Applies blocks and keeps their records, as the indexer does. */
function run(state: IndexerState, events: BlockEvent[]): { records: BlockRecord[]; results: ReturnType<typeof applyBlock>[] } {
  const results = events.map((e) => applyBlock(state, e, meta, options))
  const records = results.map((r, i) => ({ number: Number(events[i]!.block.number), undo: r.changes.undo, retract: { tokens: [], trades: [], alerts: [], alertIds: r.alerts.map((a) => a.id) }, texts: { launches: [], trades: [] } }))
  return { records, results }
}

/** A market: CORE/USD at 1, MEME and QUIET launched with 1000 CORE against 500,000 tokens. */
function market(): IndexerState {
  const state = createIndexerState()
  run(state, [
    block(1, [usdSync(1, 100_000n * 10n ** 6n, 100_000n * E18)]),
    block(2, [created(2, PAIR, MEME), sync(2, PAIR, MEME, 500_000n * E18, 1000n * E18), mint(2, PAIR, MEME, 500_000n * E18, 1000n * E18)]),
    block(3, [created(3, QUIET_PAIR, QUIET), sync(3, QUIET_PAIR, QUIET, 500_000n * E18, 1000n * E18), mint(3, QUIET_PAIR, QUIET, 500_000n * E18, 1000n * E18)]),
  ])
  return state
}

describe('the tables', () => {
  it('record each change and put every replaced value back, newest first', () => {
    const store = createTableStore<{ reserves: readonly [bigint, bigint] }>({ reserves: new Map([['p', [1n, 2n]]]) })
    store.begin()
    store.set('reserves', 'p', [3n, 4n])
    store.set('reserves', 'q', [5n, 6n])
    store.set('reserves', 'p', [7n, 8n])
    store.remove('reserves', 'q')
    const { undo, touched } = store.end()
    expect([...touched.get('reserves')!]).toEqual(['p', 'q'])
    expect([...store.tables.reserves]).toEqual([['p', [7n, 8n]]])
    store.undo(undo)
    expect([...store.tables.reserves]).toEqual([['p', [1n, 2n]]])
  })

  it('encode bigints in JSON and back', () => {
    const value = { reserves: [10n ** 30n, 0n], price: 1.5, name: 'x' }
    expect(decodeJson(encodeJson(value))).toEqual(value)
  })
})

describe('the block step', () => {
  it('launches on the first mint, then trades and prices from the reserves', () => {
    const state = createIndexerState()
    const [, launch] = run(state, [block(1, [usdSync(1, 100_000n * 10n ** 6n, 100_000n * E18)]), block(2, [created(2, PAIR, MEME), sync(2, PAIR, MEME, 500_000n * E18, 1000n * E18), mint(2, PAIR, MEME, 500_000n * E18, 1000n * E18)])]).results
    expect(launch!.tokens).toMatchObject([{ address: MEME, symbol: 'MEME', initialLiquidity: '1000', creator: CREATOR, pairAddress: PAIR }])
    expect(launch!.prices).toMatchObject([{ tokenAddress: MEME, priceCore: 0.002, price: 0.002, liquidity: 2000 }])
    const traded = applyBlock(state, block(4, [sync(4, PAIR, MEME, 495_000n * E18, 1010n * E18), buy(4, PAIR, MEME, 10n * E18, 5_000n * E18)]), meta, options)
    expect(traded.trades).toMatchObject([{ tokenAddress: MEME, type: 'buy', amountToken: '5000', amountCore: '10', valueUsd: 10 }])
    expect(traded.prices).toMatchObject([{ tokenAddress: MEME, buys24h: 1, volume24h: 10 }])
  })

  it('is undone exactly: the state after undoing blocks equals the state before them, bucket highs and lows, cooldowns and launches included', () => {
    const state = market()
    const before = dumpState(state)
    const { records } = run(state, [
      block(10, [sync(10, PAIR, MEME, 400_000n * E18, 1250n * E18), buy(10, PAIR, MEME, 250n * E18, 100_000n * E18)], 10 * 3 + 20),
      block(11, [created(11, addr(0x4444), addr(0xa3)), sync(11, addr(0x4444), addr(0xa3), 10n * E18, 10n * E18), mint(11, addr(0x4444), addr(0xa3), 10n * E18, 10n * E18)], 11 * 3 + 80),
      block(12, [usdSync(12, 110_000n * 10n ** 6n, 100_000n * E18), sync(12, PAIR, MEME, 450_000n * E18, 1111n * E18)], 12 * 3 + 90),
    ])
    expect(records[0]!.retract.alertIds.length).toBeGreaterThan(0) // the 25 % pump and the whale fired
    expect(dumpState(state)).not.toEqual(before)
    const undone = undoBlocks(state, records.toReversed())
    expect(dumpState(state)).toEqual(before)
    expect(state.markets.get(MEME)!.buckets.map((b) => b.minute)).toEqual(market().markets.get(MEME)!.buckets.map((b) => b.minute))
    const [price] = undone.prices.filter((p) => p.tokenAddress === MEME)
    expect(price).toMatchObject({ priceCore: 0.002, price: 0.002, buys24h: 0, volume24h: 0 })
    expect(undone.prices.map((p) => p.tokenAddress).sort()).toEqual([MEME, QUIET].sort())
  })

  it('re-sends a quiet token when CORE/USD moved more than USD_REPRICE_PERCENT since its last price, once', () => {
    const state = market()
    const small = applyBlock(state, block(20, [usdSync(20, 100_400n * 10n ** 6n, 100_000n * E18)]), meta, options)
    expect(small.prices).toEqual([])
    const moved = applyBlock(state, block(21, [usdSync(21, 101_000n * 10n ** 6n, 100_000n * E18)]), meta, options)
    expect(moved.prices.map((p) => p.tokenAddress).sort()).toEqual([MEME, QUIET].sort())
    expect(moved.prices.find((p) => p.tokenAddress === QUIET)!['price']).toBeCloseTo(0.002 * 1.01, 12)
    const again = applyBlock(state, block(22, [usdSync(22, 101_100n * 10n ** 6n, 100_000n * E18)]), meta, options)
    expect(again.prices).toEqual([])
  })

  it('serializes: a state loaded from its rows steps exactly like the original', () => {
    const state = market()
    const copy = loadState(dumpState(state))
    expect(dumpState(copy)).toEqual(dumpState(state))
    const next = block(30, [sync(30, PAIR, MEME, 495_000n * E18, 1010n * E18), buy(30, PAIR, MEME, 10n * E18, 5_000n * E18)])
    const [a, b] = [applyBlock(state, next, meta, options), applyBlock(copy, next, meta, options)]
    expect(b.prices).toEqual(a.prices)
    expect(b.trades).toEqual(a.trades)
    expect(dumpState(copy)).toEqual(dumpState(state))
  })
})
