/**
 * Launch intelligence, the I/O before a block's step: the earlier transfers of tokens first seen in
 * it (a pair created for an older token), and sell checks — a transfer of a little of the latest
 * buyer's tokens to the pair, simulated with `eth_call` on the block's state (a honeypot reverts it):
 * a launch bought in its own block is known for what it is when it is published.
 */
import type { Logger } from 'pino'
import { BaseError, encodeFunctionData, parseAbi, type Address, type PublicClient } from 'viem'
import type { BlockEvent, TransferRecord } from '../chain/events.js'
import type { TransferHistoryParameters } from '../chain/transferHistory.js'
import type { IndexerState } from '../indexer/state.js'
import type { QuoteConfig } from '../market/pairs.js'
import type { RiskInputs } from './blockRisk.js'
import { balanceKey } from './holdings.js'
import { tokensToTrack, type TrackStart } from './tracking.js'

export type RiskReader = { read(state: IndexerState, event: BlockEvent, quotes: QuoteConfig): Promise<RiskInputs> }

export type RiskReaderOptions = {
  /** The follower's reads and the head it has seen (defined once the follower exists). */
  chain: () => { client: PublicClient; transferHistory(params: TransferHistoryParameters): Promise<TransferRecord[]>; status(): { head: bigint | null } }
  /** How far back a token first seen with a new pair has its transfers read (blocks). */
  historyBlocks: number
  /** A launch's sell check is repeated at most every this many blocks (when it had a new buyer). */
  sellCheckBlocks: number
  /** Sell checks per block at most (the most recently bought first). */
  sellChecksPerBlock: number
  logger: Logger
}

const transferAbi = parseAbi(['function transfer(address to, uint256 value) returns (bool)'])

type Check = { token: string; wallet: string; pair: string; amount: bigint; block: number }

/**
 * The latest buyer of each followed token in this block — the recipient of its last transfer out of
 * one of its pairs, the creator aside — and its balance after the block, from the state and the
 * block's own transfers.
 */
function blockBuyers(state: IndexerState, event: BlockEvent, tracking: readonly TrackStart[]): Map<string, { wallet: string; pair: string }> {
  const { store } = state
  const named = new Map(tracking.flatMap((t) => (t.pair ? [[t.pair, t.token] as const] : [])))
  const buyers = new Map<string, { wallet: string; pair: string }>()
  for (const log of event.logs) {
    if (log.kind !== 'transfer') continue
    const token = store.get('lpOf', log.sender) ?? named.get(log.sender)
    const creator = store.get('tracked', log.token)?.creator ?? tracking.find((t) => t.token === log.token)?.creator
    if (token !== log.token || log.recipient === creator || log.recipient === log.sender) continue
    buyers.set(token, { wallet: log.recipient, pair: log.sender })
  }
  return buyers
}

/** A holder's balance of a token after this block: the state's, plus the block's transfers. */
function balanceAfter(state: IndexerState, event: BlockEvent, token: string, wallet: string): bigint {
  let balance = state.store.get('balances', balanceKey(token, wallet)) ?? 0n
  for (const log of event.logs) {
    if (log.kind !== 'transfer' || log.token !== token) continue
    if (log.recipient === wallet) balance += log.value
    if (log.sender === wallet) balance -= log.value
  }
  return balance
}

/**
 * The sell checks due at this block (simulated on its state): the launches bought in it, then those
 * with a buyer since their last check, once every `every` blocks; the newest first, `limit` at most.
 */
export function dueSellChecks(state: IndexerState, event: BlockEvent, quotes: QuoteConfig, every: number, limit: number, tracking: readonly TrackStart[] = tokensToTrack(state, event, quotes)): Check[] {
  const { store } = state
  const block = Number(event.block.number)
  const candidates = new Map<string, { wallet: string; pair: string; block: number }>()
  for (const [token, buyer] of store.tables.buyers) {
    const tracked = store.get('tracked', token)
    if (tracked?.pair) candidates.set(token, { wallet: buyer.wallet, pair: tracked.pair, block: buyer.block })
  }
  for (const [token, buyer] of blockBuyers(state, event, tracking)) candidates.set(token, { ...buyer, block })
  const due: Check[] = []
  for (const [token, buyer] of candidates) {
    const last = store.get('sellChecks', token)
    if (last && (buyer.block <= last.block || block - last.block < every)) continue
    const balance = balanceAfter(state, event, token, buyer.wallet)
    if (balance <= 0n) continue
    due.push({ token, wallet: buyer.wallet, pair: buyer.pair, amount: balance / 1000n > 0n ? balance / 1000n : 1n, block: buyer.block })
  }
  return due.sort((a, b) => b.block - a.block).slice(0, limit)
}

/**
 * @example
 * const risk = riskReader({ chain: () => follower, historyBlocks: 28_800, sellCheckBlocks: 20, sellChecksPerBlock: 8, logger })
 * const inputs = await risk.read(state, event, quotes)
 */
export function riskReader(options: RiskReaderOptions): RiskReader {
  async function history(token: string, block: bigint): Promise<readonly TransferRecord[] | null> {
    const fromBlock = block > BigInt(options.historyBlocks) ? block - BigInt(options.historyBlocks) : 0n
    try {
      return block === 0n ? [] : await options.chain().transferHistory({ token: token as Address, fromBlock, toBlock: block - 1n })
    } catch (err) {
      options.logger.warn({ err, token }, 'reading a token’s earlier transfers failed; its holder figures stay unknown')
      return null
    }
  }

  /** true: the transfer reverted (or returned false); null: the node could not say. */
  async function sellReverts(check: Check, at: bigint): Promise<boolean | null> {
    try {
      const data = encodeFunctionData({ abi: transferAbi, functionName: 'transfer', args: [check.pair as Address, check.amount] })
      const result = await options.chain().client.call({ account: check.wallet as Address, to: check.token as Address, data, blockNumber: at })
      return result.data !== undefined && /^0x0{64}$/.test(result.data)
    } catch (err) {
      const reverted = err instanceof BaseError && /revert/i.test(err.message)
      return reverted ? true : null
    }
  }

  return {
    async read(state, event, quotes) {
      const block = event.block.number
      const tracking = tokensToTrack(state, event, quotes)
      const wanted = tracking.filter((t) => t.needsHistory)
      const histories = new Map(await Promise.all(wanted.map(async (t) => [t.token, await history(t.token, block)] as const)))
      // A block replayed long behind the head gets no sell check: a day replayed at 8 checks per block
      // would cost ~200,000 calls for answers about the past. Checks resume near the head, newest buyers first.
      const head = options.chain().status().head
      const replaying = head !== null && block + BigInt(options.sellCheckBlocks) < head
      const checks = replaying ? [] : dueSellChecks(state, event, quotes, options.sellCheckBlocks, options.sellChecksPerBlock, tracking)
      const outcomes = await Promise.all(checks.map((c) => sellReverts(c, block)))
      const sellChecks = new Map(checks.flatMap((c, i) => (outcomes[i] == null ? [] : [[c.token, outcomes[i]] as const])))
      return { histories, sellChecks }
    },
  }
}
