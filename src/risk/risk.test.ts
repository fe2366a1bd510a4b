import { pino } from 'pino'
import { getAddress, type Address, type Hash, type PublicClient } from 'viem'
import { describe, expect, it } from 'vitest'
import type { AlertThresholds } from '../alerts/rules.js'
import type { BlockEvent, DecodedLog, LogMeta, TransferRecord } from '../chain/events.js'
import { undoBlocks, type BlockRecord } from '../indexer/reorg.js'
import { createIndexerState, dumpState, loadState, type IndexerState } from '../indexer/state.js'
import { applyBlock, type BlockResult, type StepOptions } from '../indexer/step.js'
import type { TokenMeta } from '../market/book.js'
import type { RiskInputs } from './blockRisk.js'
import { holderRows } from './figures.js'
import { DEAD, ZERO } from './holdings.js'
import { dueSellChecks, riskReader } from './reader.js'
import { followedContracts } from './tracking.js'

const addr = (n: number) => getAddress(`0x${n.toString(16).padStart(40, '0')}`)
const WCORE = addr(0xc0)
const USD = addr(0x5d)
const LAUNCHER = addr(0x1a)
const TOKEN = addr(0xa1)
const PAIR = addr(0x2222)
const CREATOR = addr(0x99)
const INSIDER = addr(0x71)
const [B1, B2, B3, LATE] = [addr(0x81), addr(0x82), addr(0x83), addr(0x84)]
const E18 = 10n ** 18n
const SUPPLY = 1_000_000n * E18

const thresholds: AlertThresholds = {
  pricePercent: 1000,
  priceWindowSec: 300,
  volumeMultiplier: 1000,
  volumeWindowSec: 300,
  volumeMinUsd: 1e12,
  whaleUsd: 1e12,
  whalePoolPercent: 100,
  rugPercent: 100,
  rugWindowSec: 600,
  rugSellPercent: 100,
  cooldownSec: 300,
}
const options: StepOptions = {
  quotes: { quoteTokens: [WCORE], usdTokens: [USD] },
  thresholds,
  repricePercent: 0.5,
  risk: { sniperBlocks: 3, idleSeconds: 7 * 86_400, thresholds: { sniperPercent: 2, devDumpPercent: 5, lpPullPercent: 50, cooldownSec: 300 } },
}
const META = new Map<string, TokenMeta>([[TOKEN, { name: 'Meme', symbol: 'MEME', decimals: 18, totalSupply: SUPPLY }]])
const T0 = 1_700_000_000 - (1_700_000_000 % 60)

/** Logs of one transaction: each helper takes the tx and appends with the next log index. */
type Tx = { block: number; hash: Hash; from: Address; logs: DecodedLog[] }
let txCount = 0
function tx(block: number, from: Address = CREATOR): Tx {
  return { block, hash: `0x${(++txCount).toString(16).padStart(64, '0')}` as Hash, from, logs: [] }
}
function meta(t: Tx, address: Address, index: number): LogMeta {
  return { blockNumber: BigInt(t.block), blockHash: `0x${t.block.toString(16).padStart(64, 'b')}` as Hash, txHash: t.hash, logIndex: index, address, from: t.from }
}
const pairInfo = { dex: 'Dex', factory: addr(0xfac), token0: TOKEN, token1: WCORE, pair: PAIR }
let index = 0
const add = (t: Tx, log: DecodedLog) => (t.logs.push(log), t)
const transfer = (t: Tx, token: Address, sender: Address, recipient: Address, value: bigint) => add(t, { ...meta(t, token, index++), kind: 'transfer', token, sender, recipient, value })
const sync = (t: Tx, tokens: bigint, core: bigint) => add(t, { ...meta(t, PAIR, index++), kind: 'sync', ...pairInfo, reserve0: tokens, reserve1: core })
/** A router buy: tokens out of the pair to `to` (minus `taxed`, which goes to the creator), then Sync and Swap. */
function buy(t: Tx, to: Address, tokens: bigint, core: bigint, taxed = 0n) {
  transfer(t, TOKEN, PAIR, to, tokens - taxed)
  if (taxed > 0n) transfer(t, TOKEN, PAIR, CREATOR, taxed)
  sync(t, 1n, 1n)
  return add(t, { ...meta(t, PAIR, index++), kind: 'swap', ...pairInfo, sender: addr(0x7e), to, amount0In: 0n, amount1In: core, amount0Out: tokens, amount1Out: 0n })
}
/** A router sell by `seller`: `tokens` leave the wallet, `taxed` of them to the creator. */
function sell(t: Tx, seller: Address, tokens: bigint, taxed = 0n) {
  transfer(t, TOKEN, seller, PAIR, tokens - taxed)
  if (taxed > 0n) transfer(t, TOKEN, seller, CREATOR, taxed)
  sync(t, 1n, 1n)
  return add(t, { ...meta(t, PAIR, index++), kind: 'swap', ...pairInfo, sender: addr(0x7e), to: seller, amount0In: tokens - taxed, amount1In: 0n, amount0Out: 0n, amount1Out: 1n })
}

function block(number: number, txs: Tx[]): BlockEvent {
  return {
    kind: 'block',
    block: { number: BigInt(number), hash: `0x${number.toString(16).padStart(64, 'b')}` as Hash, parentHash: `0x${(number - 1).toString(16).padStart(64, 'b')}` as Hash, timestamp: BigInt(T0 + number * 3) },
    logs: txs.flatMap((t) => t.logs),
  }
}

const NONE: RiskInputs = { histories: new Map(), sellChecks: new Map() }

/** Applies blocks and keeps their undo records, as the indexer does. */
function chain(state: IndexerState = createIndexerState()) {
  const records: BlockRecord[] = []
  return {
    state,
    records,
    apply(event: BlockEvent, inputs: RiskInputs = NONE): BlockResult {
      const result = applyBlock(state, event, META, options, inputs)
      records.push({ number: Number(event.block.number), undo: result.changes.undo, retract: { tokens: [], trades: [], alerts: [], alertIds: [] }, texts: { launches: [], trades: [] } })
      return result
    },
  }
}

/** A launcher token: created (minted to the creator), a pair, insiders paid before launch, then the launch with a bundle. */
function launchScenario() {
  const c = chain()
  const create = tx(10)
  transfer(create, TOKEN, ZERO, CREATOR, SUPPLY)
  add(create, { ...meta(create, LAUNCHER, index++), kind: 'tokenCreated', launcher: LAUNCHER, token: TOKEN, creator: CREATOR, name: 'Meme', symbol: 'MEME', totalSupply: SUPPLY })
  c.apply(block(10, [create]))
  const pairTx = tx(11)
  add(pairTx, { ...meta(pairTx, addr(0xfac), index++), kind: 'pairCreated', factory: addr(0xfac), dex: 'Dex', token0: TOKEN, token1: WCORE, pair: PAIR })
  const insider = transfer(tx(11), TOKEN, CREATOR, INSIDER, 50_000n * E18)
  c.apply(block(11, [pairTx, insider]))
  // Launch: the creator adds 600k tokens (and 100 CORE), gets 1000 LP (1 locked at 0x0).
  const liquidity = tx(12)
  transfer(liquidity, TOKEN, CREATOR, PAIR, 600_000n * E18)
  transfer(liquidity, PAIR, ZERO, ZERO, 1n)
  transfer(liquidity, PAIR, ZERO, CREATOR, 999n)
  sync(liquidity, 600_000n * E18, 100n * E18)
  add(liquidity, { ...meta(liquidity, PAIR, index++), kind: 'mint', ...pairInfo, sender: addr(0x7e), amount0: 600_000n * E18, amount1: 100n * E18 })
  // A bundle: one transaction buys for B1 and B2, in the launch block.
  const bundle = buy(buy(tx(12, addr(0xb0)), B1, 10_000n * E18, E18), B2, 20_000n * E18, 2n * E18)
  const launch = c.apply(block(12, [liquidity, bundle]))
  return { c, launch }
}

describe('launch risk from the chain', () => {
  it('puts the figures of the launch block on the launch item and on the risk channel', () => {
    const { c, launch } = launchScenario()
    expect(launch.tokens).toHaveLength(1)
    const risk = launch.tokens[0]!.risk!
    // Holders besides the pair: creator 350k, insider 50k, B1 10k, B2 20k.
    expect(risk).toEqual({
      holders: 4,
      top10Percent: 43,
      devHeldPercent: 35,
      snipers: { count: 2, heldPercent: 3 },
      bundles: { count: 2, heldPercent: 3 },
      insiders: { count: 1, heldPercent: 5 },
      lp: { burnedPercent: 0.1, creatorPercent: 99.9, othersPercent: 0 },
      // Two buys in one transaction: no tax can be told apart.
      buyTaxPercent: null,
      sellTaxPercent: null,
      honeypot: null,
      complete: false,
      blockNumber: 12,
    })
    expect(launch.risk).toEqual([{ tokenAddress: TOKEN, tokenSymbol: 'MEME', ...risk, timestamp: T0 + 36 }])
    expect(launch.holders[0]!.rows.map((r) => [r.address, r.percent, r.labels])).toEqual([
      [PAIR, 57, ['pair']],
      [CREATOR, 35, ['creator']],
      [INSIDER, 5, ['insider']],
      [B2, 2, ['sniper', 'bundle']],
      [B1, 1, ['sniper', 'bundle']],
    ])
    expect(followedContracts(c.state).sort()).toEqual([PAIR, TOKEN].sort())
  })

  it('measures taxes, counts late buyers as neither snipers nor bundles, and follows the LP burn', () => {
    const { c } = launchScenario()
    // Block 14 (within 3 blocks of 12): B3 snipes, with a 5 % buy tax.
    c.apply(block(14, [buy(tx(14, B3), B3, 1000n * E18, E18, 50n * E18)]))
    // Block 15: a late buyer; the creator burns its LP tokens.
    const late = buy(tx(15, LATE), LATE, 1000n * E18, E18)
    const burnLp = transfer(tx(15), PAIR, CREATOR, DEAD, 999n)
    c.apply(block(15, [late, burnLp]))
    // Block 16: B1 sells 1000 with a 10 % sell tax.
    const result = c.apply(block(16, [sell(tx(16, B1), B1, 1000n * E18, 100n * E18)]))
    const risk = result.risk[0]!
    expect(risk.snipers).toEqual({ count: 3, heldPercent: 2.995 })
    expect(risk.bundles).toEqual({ count: 2, heldPercent: 2.9 })
    expect(risk.lp).toEqual({ burnedPercent: 100, creatorPercent: 0, othersPercent: 0 })
    expect([risk.buyTaxPercent, risk.sellTaxPercent]).toEqual([0, 10])
    expect(c.state.store.get('buyers', TOKEN)).toEqual({ wallet: LATE, block: 15 })
  })

  it('takes a reorged block back: figures, groups and taxes as they were, the restored item re-published', () => {
    const { c } = launchScenario()
    const before = c.state.store.get('risk', TOKEN)
    const rows = JSON.stringify(dumpState(c.state))
    c.apply(block(13, [buy(tx(13, B3), B3, 1000n * E18, E18, 100n * E18), transfer(tx(13), TOKEN, CREATOR, addr(0x55), 100_000n * E18)]))
    expect(c.state.store.get('risk', TOKEN)!.insiders!.count).toBe(2)
    const undone = undoBlocks(c.state, [c.records.pop()!])
    expect(JSON.stringify(dumpState(c.state))).toBe(rows)
    expect(undone.risk).toEqual([{ tokenAddress: TOKEN, tokenSymbol: 'MEME', ...before, timestamp: T0 + 36 }])
    expect(undone.holders.map((h) => h.token)).toEqual([TOKEN])
  })

  it('fires risk alerts: the creator dumping, snipers over the threshold, the creator pulling its LP, a honeypot', () => {
    const { c, launch } = launchScenario()
    // Snipers hold 3 % ≥ 2 %: fired at launch.
    const risky = (alerts: BlockResult['alerts']) => alerts.filter((a) => a.type === 'risk')
    expect(risky(launch.alerts).map((a) => a.data['reason'])).toEqual(['snipers'])
    const dump = sell(tx(13, CREATOR), CREATOR, 100_000n * E18)
    const pull = transfer(tx(13), PAIR, CREATOR, PAIR, 600n)
    const result = c.apply(block(13, [dump, pull]))
    expect(risky(result.alerts).map((a) => [a.data['reason'], a.severity, a.data['percent']])).toEqual([
      ['lp_pulled', 'critical', 60.06],
      ['dev_dump', 'warning', 10],
    ])
    expect(risky(result.alerts)[0]!.id).toBe(`risk:lp_pulled:${TOKEN}:13`)
    const checked = c.apply(block(14, []), { histories: new Map(), sellChecks: new Map([[TOKEN, true]]) })
    expect(checked.risk[0]!.honeypot).toBe(true)
    expect(risky(checked.alerts).map((a) => [a.data['reason'], a.severity])).toEqual([['honeypot', 'critical']])
  })

  it('reads an older token from its history and says when that history is not whole', () => {
    const OLD = TOKEN
    const history: TransferRecord[] = [
      { token: OLD, sender: ZERO, recipient: CREATOR, value: SUPPLY, blockNumber: 1n, txHash: `0x${'1'.padStart(64, '0')}`, logIndex: 0 },
      { token: OLD, sender: CREATOR, recipient: INSIDER, value: 10n * E18, blockNumber: 2n, txHash: `0x${'2'.padStart(64, '0')}`, logIndex: 0 },
    ]
    for (const [records, complete] of [[history, true], [history.slice(1), false]] as const) {
      const c = chain()
      const pairTx = tx(20)
      add(pairTx, { ...meta(pairTx, addr(0xfac), index++), kind: 'pairCreated', factory: addr(0xfac), dex: 'Dex', token0: OLD, token1: WCORE, pair: PAIR })
      c.apply(block(20, [pairTx]), { histories: new Map([[OLD, records]]), sellChecks: new Map() })
      expect(c.state.store.get('tracked', OLD)).toMatchObject({ creator: CREATOR, complete })
      expect(c.state.store.get('groups', OLD)?.insiders).toEqual([INSIDER])
      const rows = holderRows(c.state, OLD)
      expect(rows.map((r) => r.percent)).toEqual(complete ? [99.999, 0.001] : [null])
    }
  })

  it('checks a launch’s latest buyer once per new buyer, and the state survives a dump and load', () => {
    const { c } = launchScenario()
    expect(dueSellChecks(c.state, block(13, []), options.quotes, 20, 8)).toEqual([{ token: TOKEN, wallet: B2, pair: PAIR, amount: 20n * E18, block: 12 }])
    c.apply(block(13, []), { histories: new Map(), sellChecks: new Map([[TOKEN, false]]) })
    expect(dueSellChecks(c.state, block(40, []), options.quotes, 20, 8)).toEqual([])
    // A buy in the block itself is checked on that block's state, with the balance after it.
    const late = buy(tx(41, LATE), LATE, 3000n * E18, E18)
    expect(dueSellChecks(c.state, block(41, [late]), options.quotes, 20, 8)).toEqual([{ token: TOKEN, wallet: LATE, pair: PAIR, amount: 3n * E18, block: 41 }])
    const restored = loadState(dumpState(c.state))
    expect([...restored.holdings.get(TOKEN)!].sort()).toEqual([...c.state.holdings.get(TOKEN)!].sort())
    expect(restored.store.get('sellChecks', TOKEN)).toEqual({ honeypot: false, block: 13 })
  })

  it('makes no sell check on a block replayed far behind the head, and checks at the head', async () => {
    const { c } = launchScenario()
    // Only which calls are made matters here: the node answers every simulated transfer with `true`.
    const asked: bigint[] = []
    let head = 1000n
    const client = { call: async ({ blockNumber }: { blockNumber: bigint }) => (asked.push(blockNumber), { data: `0x${'1'.padStart(64, '0')}` }) } as unknown as PublicClient
    const reader = riskReader({ chain: () => ({ client, transferHistory: async () => [], status: () => ({ head }) }), historyBlocks: 100, sellCheckBlocks: 20, sellChecksPerBlock: 8, logger: pino({ level: 'silent' }) })
    expect((await reader.read(c.state, block(13, []), options.quotes)).sellChecks).toEqual(new Map())
    expect(asked).toEqual([])
    head = 33n
    expect((await reader.read(c.state, block(13, []), options.quotes)).sellChecks).toEqual(new Map([[TOKEN, false]]))
    expect(asked).toEqual([13n])
  })

  it('forgets a token idle for longer than the tracking window', () => {
    const { c } = launchScenario()
    c.apply(block(12 + (8 * 86_400) / 3, []))
    expect(followedContracts(c.state)).toEqual([])
    expect(c.state.holdings.size).toBe(0)
    expect(c.state.store.get('risk', TOKEN)).toBeUndefined()
  })
})
