import type { AlertItem, PriceItem, RiskItem, TokenItem, TokenRisk, TradeItem } from '../../src/protocol/items.js'

let n = 0
const hash = () => `0x${(++n).toString(16).padStart(64, '0')}`

export function trade(tokenAddress: string, overrides: Partial<TradeItem> = {}): TradeItem {
  return {
    txHash: hash(),
    tokenAddress,
    tokenSymbol: 'MEME',
    trader: '0x' + '66'.repeat(20),
    type: 'buy',
    amountToken: '10000',
    amountCore: '2.5',
    price: 0.00025,
    timestamp: 1_700_000_000,
    blockNumber: 100,
    dex: 'CoreMemeSwap',
    logIndex: 0,
    priceUsd: 0.0005,
    valueUsd: 5,
    ...overrides,
  }
}

export function price(tokenAddress: string, value = 0.0025): PriceItem {
  return { tokenAddress, price: value, priceChange24h: 15.5, volume24h: 1250, liquidity: 500, timestamp: 1_700_000_000 }
}

export function token(address: string, blockNumber = 100): TokenItem {
  return {
    address,
    name: 'Meme Token',
    symbol: 'MEME',
    totalSupply: '1000000000',
    creator: '0x' + '99'.repeat(20),
    pairAddress: '0x' + '55'.repeat(20),
    initialLiquidity: '10000',
    timestamp: 1_700_000_000,
    blockNumber,
    txHash: hash(),
  }
}

export function alert(type: AlertItem['type'], tokenAddress: string, overrides: Partial<AlertItem> = {}): AlertItem {
  return {
    id: `alert_${++n}`,
    type,
    tokenAddress,
    tokenSymbol: 'MEME',
    title: `${type} alert: MEME`,
    message: 'something happened',
    severity: 'warning',
    data: {},
    timestamp: 1_700_000_000,
    ...overrides,
  }
}

/** A launch's risk figures, partly known. */
export function riskFigures(overrides: Partial<TokenRisk> = {}): TokenRisk {
  return {
    holders: 12,
    top10Percent: 40,
    devHeldPercent: 20,
    snipers: { count: 2, heldPercent: 3 },
    bundles: { count: 0, heldPercent: 0 },
    insiders: { count: 1, heldPercent: 5 },
    lp: { burnedPercent: 0.1, creatorPercent: 99.9, othersPercent: 0 },
    buyTaxPercent: null,
    sellTaxPercent: null,
    honeypot: null,
    complete: false,
    blockNumber: 100,
    ...overrides,
  }
}

export function riskItem(tokenAddress: string, overrides: Partial<TokenRisk> = {}): RiskItem {
  return { tokenAddress, tokenSymbol: 'MEME', ...riskFigures(overrides), timestamp: 1_700_000_000 }
}
