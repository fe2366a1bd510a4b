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
  [extra: string]: unknown
}

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

export const alertTypes = ['price', 'volume', 'whale', 'rug'] as const
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

export const channels = ['prices', 'tokens', 'trades', 'alerts'] as const
export type Channel = (typeof channels)[number]

/** Maps a channel to its item type and to the key of its `data` object (`{"prices":[…]}`). */
export type ChannelItems = {
  prices: PriceItem
  tokens: TokenItem
  trades: TradeItem
  alerts: AlertItem
}

export const dataKey = {
  prices: 'prices',
  tokens: 'tokens',
  trades: 'trades',
  alerts: 'alerts',
} as const satisfies Record<Channel, string>
