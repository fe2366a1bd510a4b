/**
 * The messages and subscriptions of the benchmark, shared by the servers under test and the load
 * generators so that all three servers carry the same bytes.
 *
 * Every item starts with `"sentAt":<ms>,"k":<n>,"m":<0|1>`: the publish time (ms, the clock of
 * `nowMs`, comparable across processes), the message number (fan-out) or block number (workload),
 * and whether it belongs to the measured window. Clients read these three fields without parsing
 * the whole message.
 */
import type { AlertItem, PriceItem, TradeItem } from '../../src/protocol/items.js'
import { mulberry32 } from '../../src/devnet/random.js'

/** Digits-only addresses are valid EIP-55 (no letters to checksum), so every server sees the same text. */
const address = (n: number) => `0x${String(n).padStart(4, '0').repeat(10)}`
export const HOT_TOKENS = 10
export const TOKENS = 500
export const WALLETS = 1000
export const tokenAddress = (i: number) => address(1000 + i)
export const walletAddress = (i: number) => address(3000 + i)
const FIREHOSE_TOKEN = address(9999)

export type Stamp = { sentAt: number; k: number; m: 0 | 1 }

/** Deterministic PRNG: the devnet's mulberry32. */
export const prng = mulberry32

const round = (x: number, digits: number) => Number(x.toFixed(digits))
const hex64 = (n: number) => `0x${n.toString(16).padStart(64, '0')}`

/** The fan-out message: one trade (a valid `trades` item, every required field). */
export function fanoutTrade(stamp: Stamp): TradeItem & Stamp {
  return {
    sentAt: round(stamp.sentAt, 3),
    k: stamp.k,
    m: stamp.m,
    txHash: hex64(0xfeed0000 + stamp.k),
    tokenAddress: FIREHOSE_TOKEN,
    tokenSymbol: 'MEME',
    trader: walletAddress(stamp.k % WALLETS),
    type: stamp.k % 2 === 0 ? 'buy' : 'sell',
    amountToken: '123456.78',
    amountCore: '2.5',
    price: 0.00002025,
    timestamp: 1_764_480_000,
    blockNumber: 12_345_678,
    dex: 'CoreMemeSwap',
    valueUsd: 5.06,
  }
}

/** One block of the realistic workload, before it is stamped. */
export type BlockPlan = { trades: TradeItem[]; prices: PriceItem[]; alerts: AlertItem[] }
export type Block = { trades: (TradeItem & Stamp)[]; prices: (PriceItem & Stamp)[]; alerts: (AlertItem & Stamp)[] }

/** Zipf-like pick among the hot tokens: the first is the hottest. */
function hotPick(rand: () => number): number {
  const weights = Array.from({ length: HOT_TOKENS }, (_, i) => 1 / (i + 1))
  const total = weights.reduce((a, b) => a + b, 0)
  let r = rand() * total
  for (let i = 0; i < HOT_TOKENS; i++) if ((r -= weights[i]!) <= 0) return i
  return HOT_TOKENS - 1
}

/**
 * Block `n` of the workload (deterministic in `seed` and `n`): 50–500 trades, half of them on the
 * 10 hot tokens (Zipf), the rest on 490 others, by 1,000 wallets; a price update per token that
 * traded; 0–3 alerts.
 */
export function planBlock(seed: number, n: number): BlockPlan {
  const rand = prng(seed * 1_000_003 + n)
  const count = 50 + Math.floor(rand() * 451)
  const trades: TradeItem[] = []
  const moved = new Map<number, number>()
  for (let i = 0; i < count; i++) {
    const token = rand() < 0.5 ? hotPick(rand) : HOT_TOKENS + Math.floor(rand() * (TOKENS - HOT_TOKENS))
    const price = round(0.00001 + rand() * 0.0001, 10)
    const amountCore = round(0.1 + rand() * rand() * 500, 4)
    moved.set(token, price)
    trades.push({
      txHash: hex64(n * 1000 + i),
      tokenAddress: tokenAddress(token),
      tokenSymbol: `MEME${token}`,
      trader: walletAddress(Math.floor(rand() * WALLETS)),
      type: rand() < 0.55 ? 'buy' : 'sell',
      amountToken: String(round(amountCore / price, 2)),
      amountCore: String(amountCore),
      price,
      timestamp: 1_764_480_000 + n,
      blockNumber: 12_000_000 + n,
      dex: 'CoreMemeSwap',
      logIndex: i,
      priceUsd: round(price * 2, 10),
      valueUsd: round(amountCore * 2, 2),
    })
  }
  const prices: PriceItem[] = [...moved].map(([token, priceCore]) => ({
    tokenAddress: tokenAddress(token),
    price: round(priceCore * 2, 10),
    priceChange24h: round(rand() * 200 - 50, 2),
    volume24h: round(rand() * 1e6, 2),
    liquidity: round(rand() * 5e5, 2),
    timestamp: 1_764_480_000 + n,
    priceCore,
    marketCap: round(rand() * 5e6, 2),
    symbol: `MEME${token}`,
    priceChange5m: round(rand() * 10 - 5, 2),
    priceChange1h: round(rand() * 20 - 10, 2),
    priceChange6h: round(rand() * 40 - 20, 2),
    volume5m: round(rand() * 1e4, 2),
    volume1h: round(rand() * 1e5, 2),
    volume6h: round(rand() * 5e5, 2),
    buys24h: Math.floor(rand() * 1000),
    sells24h: Math.floor(rand() * 1000),
    liquidityCore: round(rand() * 2.5e5, 2),
    pairAddress: address(5000 + token),
  }))
  const alerts: AlertItem[] = Array.from({ length: Math.floor(rand() * 4) }, (_, i) => {
    const t = trades[Math.floor(rand() * trades.length)]!
    return {
      id: `whale:${t.txHash}:${i}`,
      type: 'whale',
      tokenAddress: t.tokenAddress,
      tokenSymbol: t.tokenSymbol,
      title: `Whale Alert: ${t.tokenSymbol}`,
      message: `Whale ${t.type}: $${t.valueUsd} of ${t.tokenSymbol}`,
      severity: 'warning',
      data: { walletAddress: t.trader, action: t.type, valueUsd: t.valueUsd, amountCore: t.amountCore, txHash: t.txHash },
      timestamp: 1_764_480_000 + n,
    }
  })
  return { trades, prices, alerts }
}

/** Puts the stamp first in every item (so clients find it at the start of each message). */
export function stampBlock(plan: BlockPlan, stamp: Stamp): Block {
  const s = { sentAt: round(stamp.sentAt, 3), k: stamp.k, m: stamp.m }
  return {
    trades: plan.trades.map((t) => ({ ...s, ...t }) as TradeItem & Stamp),
    prices: plan.prices.map((p) => ({ ...s, ...p }) as PriceItem & Stamp),
    alerts: plan.alerts.map((a) => ({ ...s, ...a }) as AlertItem & Stamp),
  }
}

/** What one client of the realistic workload follows. */
export type Interest = { kind: 'hot' | 'all' | 'alerts' | 'wallets'; tokens: string[]; wallets: string[] }

/**
 * Client `i` of the realistic mix: 75 % follow the prices and trades of 1–3 hot tokens, 3 % the
 * prices and trades of every token (`"*"`), 10 % every alert, 12 % the trades of 3 wallets.
 */
export function interestOf(i: number): Interest {
  const rand = prng(0x5eed + i * 7919)
  const r = rand()
  if (r < 0.75) {
    const picked = new Set<number>()
    const want = 1 + Math.floor(rand() * 3)
    while (picked.size < want) picked.add(hotPick(rand))
    return { kind: 'hot', tokens: [...picked].map(tokenAddress), wallets: [] }
  }
  if (r < 0.78) return { kind: 'all', tokens: ['*'], wallets: [] }
  if (r < 0.88) return { kind: 'alerts', tokens: [], wallets: [] }
  return { kind: 'wallets', tokens: [], wallets: [0, 1, 2].map(() => walletAddress(Math.floor(rand() * WALLETS))) }
}

/**
 * What a load generator's clients follow: `firehose` (trades "*"), `mix` (`interestOf` each
 * client), or `everything` (every channel, every token: the soak on the live devnet).
 */
export type Workload = 'firehose' | 'mix' | 'everything'

/** The subscribe messages of our protocol for an interest. */
export function subscribeMessages(interest: Interest | 'firehose' | 'everything'): string[] {
  if (interest === 'firehose') return ['{"type":"subscribe","channel":"trades","params":{"tokens":["*"]}}']
  if (interest === 'everything') {
    return [
      '{"type":"subscribe","channel":"trades","params":{"tokens":["*"]}}',
      '{"type":"subscribe","channel":"prices","params":{"tokens":["*"]}}',
      '{"type":"subscribe","channel":"tokens","params":{"includeRecent":true}}',
      '{"type":"subscribe","channel":"alerts","params":{"types":["*"]}}',
    ]
  }
  switch (interest.kind) {
    case 'hot':
    case 'all':
      return [
        JSON.stringify({ type: 'subscribe', channel: 'prices', params: { tokens: interest.tokens } }),
        JSON.stringify({ type: 'subscribe', channel: 'trades', params: { tokens: interest.tokens } }),
      ]
    case 'alerts':
      return ['{"type":"subscribe","channel":"alerts","params":{"types":["*"]}}']
    case 'wallets':
      return [JSON.stringify({ type: 'subscribe', channel: 'trades', params: { wallets: interest.wallets } })]
  }
}

/**
 * The peers' equivalent: rooms. A room per channel and key (`trades:*`, `trades:t:<token>`,
 * `trades:w:<wallet>`, `prices:*`, `prices:t:<token>`, `alerts:*`); the server sends each room the
 * items it selects, one message per room.
 */
export function roomsOf(interest: Interest | 'firehose' | 'everything'): string[] {
  if (interest === 'firehose') return ['trades:*']
  if (interest === 'everything') return ['trades:*', 'prices:*', 'alerts:*']
  switch (interest.kind) {
    case 'hot':
      return interest.tokens.flatMap((t) => [`prices:t:${t}`, `trades:t:${t}`])
    case 'all':
      return ['prices:*', 'trades:*']
    case 'alerts':
      return ['alerts:*']
    case 'wallets':
      return interest.wallets.map((w) => `trades:w:${w}`)
  }
}

/** The rooms an item goes to (peers). */
export function roomsOfItem(channel: 'trades' | 'prices' | 'alerts', item: { tokenAddress: string; trader?: string }): string[] {
  if (channel === 'alerts') return ['alerts:*']
  const rooms = [`${channel}:*`, `${channel}:t:${item.tokenAddress}`]
  if (channel === 'trades' && item.trader) rooms.push(`trades:w:${item.trader}`)
  return rooms
}

/** The text of a `data` frame, exactly as our server frames it. */
export const dataFrame = (channel: string, seq: number, items: readonly string[]) => `{"type":"data","channel":"${channel}","data":{"${channel}":[${items.join(',')}]},"seq":${seq}}`
