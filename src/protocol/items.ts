/** The items each channel carries, exactly in the seed README's shapes (plus documented extra fields). */

export type PriceItem = {
  tokenAddress: string
  price: number | null
  priceChange24h: number | null
  volume24h: number | null
  liquidity: number | null
  timestamp: number
  [extra: string]: unknown
}

export type TokenItem = {
  address: string
  name: string | null
  symbol: string | null
  totalSupply: string | null
  creator: string
  pairAddress: string
  initialLiquidity: string
  timestamp: number
  blockNumber: number
  txHash: string
  /** The launch's risk figures at the end of its block (see {@link TokenRisk}). */
  risk?: TokenRisk
  [extra: string]: unknown
}

/** A group of labelled wallets of a token: how many, and the share of the supply they hold now (null: unknown). */
export type WalletGroup = { count: number; heldPercent: number | null }

/**
 * What can go wrong with a launched token, from the chain alone. Each figure is null until it can
 * be known (never guessed); `complete` says all of them are known. Shares are % of the total supply.
 */
export type TokenRisk = {
  /** Addresses holding the token, besides its pair and the burn addresses. */
  holders: number | null
  /** Share held by the ten largest holders (besides the pair and the burn addresses). */
  top10Percent: number | null
  /** Share the creator holds. */
  devHeldPercent: number | null
  /** Wallets that bought within the first `SNIPER_BLOCKS` blocks of the first liquidity. */
  snipers: WalletGroup | null
  /** Distinct wallets that bought in one transaction, or in the launch block. */
  bundles: WalletGroup | null
  /** Wallets that received tokens from the creator other than through the pair (also before launch). */
  insiders: WalletGroup | null
  /** The pair's LP tokens: burned (sent to 0x0 or 0x…dEaD), held by the creator, held by others. */
  lp: { burnedPercent: number; creatorPercent: number; othersPercent: number } | null
  /** Taxes measured on the last buy and sell: tokens the pair sent vs received by the trader, and back. */
  buyTaxPercent: number | null
  sellTaxPercent: number | null
  /** A transfer to the pair from a holder, simulated (`eth_call`): true when it reverts (holders cannot sell). */
  honeypot: boolean | null
  complete: boolean
  /** The block the figures are as of. */
  blockNumber: number
}

/** A `risk` channel item: a token's figures after a block that changed them (at most one per token per block). */
export type RiskItem = TokenRisk & { tokenAddress: string; tokenSymbol: string | null; timestamp: number }

/** Who a holder is, for `GET /tokens/:address/holders`. */
export type HolderLabel = 'creator' | 'sniper' | 'bundle' | 'insider' | 'pair' | 'burn'

/** A holder of `GET /tokens/:address/holders`: balance as a decimal string, share of the supply. */
export type HolderRow = { address: string; balance: string; percent: number | null; labels: HolderLabel[] }

export type TradeItem = {
  txHash: string
  tokenAddress: string
  tokenSymbol: string | null
  trader: string
  type: 'buy' | 'sell'
  amountToken: string
  amountCore: string
  price: number
  timestamp: number
  blockNumber: number
  dex: string
  logIndex?: number
  priceUsd?: number | null
  valueUsd?: number | null
  [extra: string]: unknown
}

export const alertTypes = ['price', 'volume', 'whale', 'rug', 'risk'] as const
export type AlertType = (typeof alertTypes)[number]

export const severities = ['info', 'warning', 'critical'] as const
export type Severity = (typeof severities)[number]

export type AlertItem = {
  id: string
  type: AlertType
  tokenAddress: string
  tokenSymbol: string | null
  title: string
  message: string
  severity: Severity
  data: Record<string, unknown>
  timestamp: number
}

/** An OHLCV candle of `GET /tokens/:address/candles`: USD when CORE/USD was known for its minutes, else CORE. */
export type Candle = { time: number; open: number; high: number; low: number; close: number; volume: number; volumeCore: number; trades: number }

export const channels = ['prices', 'tokens', 'trades', 'alerts', 'risk'] as const
export type Channel = (typeof channels)[number]

/** Maps a channel to its item type and to the key of its `data` object (`{"prices":[…]}`). */
export type ChannelItems = {
  prices: PriceItem
  tokens: TokenItem
  trades: TradeItem
  alerts: AlertItem
  risk: RiskItem
}

export const dataKey = {
  prices: 'prices',
  tokens: 'tokens',
  trades: 'trades',
  alerts: 'alerts',
  risk: 'risk',
} as const satisfies Record<Channel, string>
