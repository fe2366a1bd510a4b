import { describe, expect, it } from 'vitest'
import { createTokenMarket, recordPrice, recordTrade } from '../market/tokenMarket.js'
import { createAlertEngine } from './engine.js'
import { formatUsd } from './format.js'
import { type AlertThresholds, type TradeFact } from './rules.js'

const th: AlertThresholds = {
  pricePercent: 20,
  priceWindowSec: 300,
  volumeMultiplier: 5,
  volumeWindowSec: 300,
  volumeMinUsd: 1000,
  whaleUsd: 10_000,
  whalePoolPercent: 5,
  rugPercent: 50,
  rugWindowSec: 600,
  rugSellPercent: 20,
  cooldownSec: 300,
}
const token = { address: '0x1212121212121212121212121212121212121212', symbol: 'MEME' }
const T0 = 1_700_000_000 - (1_700_000_000 % 3600)
let n = 0

function trade(overrides: Partial<TradeFact> = {}): TradeFact {
  return { token, txHash: `0x${(++n).toString(16).padStart(64, '0')}`, logIndex: 0, trader: '0xabc', type: 'buy', amountToken: 1000, amountCore: 10, valueUsd: 10, poolCore: 1_000_000, timestamp: T0, insiderSupplyPercent: null, ...overrides }
}

describe('whale rule', () => {
  it('fires at the USD threshold and not below', () => {
    const engine = createAlertEngine(th)
    expect(engine.onTrade(trade({ valueUsd: 9_999.99 }))).toEqual([])
    const [alert] = engine.onTrade(trade({ valueUsd: 10_000, amountToken: 4_000_000, timestamp: T0 + 1 }))
    expect(alert).toMatchObject({ type: 'whale', tokenAddress: token.address, tokenSymbol: 'MEME', title: 'Whale Alert: MEME', message: 'Whale buy: $10K of MEME', severity: 'warning' })
    expect(alert!.data).toMatchObject({ walletAddress: '0xabc', action: 'buy', amount: 4_000_000, value: 10_000 })
    expect(alert!.id).toMatch(/^whale:0x[0-9a-f]{64}:0$/)
  })

  it('fires on a share of the pool even when USD is unknown', () => {
    const engine = createAlertEngine(th)
    expect(engine.onTrade(trade({ valueUsd: null, amountCore: 9.9, poolCore: 100 }))).toEqual([])
    expect(engine.onTrade(trade({ valueUsd: null, amountCore: 10, poolCore: 100, timestamp: T0 + 1 }))).toMatchObject([{ type: 'whale', message: 'Whale buy: 10 CORE of MEME' }])
  })

  it('respects the cooldown per token', () => {
    const engine = createAlertEngine(th)
    expect(engine.onTrade(trade({ valueUsd: 50_000 }))).toHaveLength(1)
    expect(engine.onTrade(trade({ valueUsd: 50_000, timestamp: T0 + 299 }))).toEqual([])
    expect(engine.onTrade(trade({ valueUsd: 50_000, timestamp: T0 + 300 }))).toHaveLength(1)
  })
})

describe('rug rules', () => {
  const burn = (percent: number, timestamp = T0) => ({ token, pair: '0xpair', txHash: `0x${(++n).toString(16)}`, logIndex: 1, wallet: '0xdev', percent, valueUsd: 18_000, timestamp })

  it('fires on one removal of the threshold share; 80 % or more is critical', () => {
    expect(createAlertEngine(th).onBurn(burn(49.9))).toEqual([])
    expect(createAlertEngine(th).onBurn(burn(50))).toMatchObject([{ type: 'rug', severity: 'warning' }])
    const [alert] = createAlertEngine(th).onBurn(burn(90))
    expect(alert).toMatchObject({ type: 'rug', severity: 'critical', title: 'Rug Alert: MEME', message: 'Liquidity pulled: 90% of the MEME pool removed ($18K)' })
    expect(alert!.data).toMatchObject({ action: 'remove_liquidity', percent: 90, valueUsd: 18_000 })
  })

  it('adds up removals within the window', () => {
    const engine = createAlertEngine(th)
    expect(engine.onBurn(burn(30))).toEqual([])
    expect(engine.onBurn(burn(30, T0 + 60))).toMatchObject([{ type: 'rug', data: { percent: 51 } }])
  })

  it('forgets removals older than the window', () => {
    const engine = createAlertEngine(th)
    expect(engine.onBurn(burn(30))).toEqual([])
    expect(engine.onBurn(burn(30, T0 + 601))).toEqual([])
  })

  it('fires when the creator sells the threshold share of the supply', () => {
    const engine = createAlertEngine(th)
    expect(engine.onTrade(trade({ type: 'sell', insiderSupplyPercent: 19 }))).toEqual([])
    expect(engine.onTrade(trade({ type: 'sell', insiderSupplyPercent: 25, timestamp: T0 + 1 }))).toMatchObject([{ type: 'rug', message: 'Creator sold 25% of the MEME supply', data: { action: 'insider_sell' } }])
  })
})

describe('price rule', () => {
  it('fires once on a move of the threshold within the window, then cools down', () => {
    const engine = createAlertEngine(th)
    const m = createTokenMarket()
    recordPrice(m, T0, 1, 1)
    recordPrice(m, T0 + 60, 1.19, 1)
    expect(engine.onMarketMoved(token, m, T0 + 60, 'a')).toEqual([])
    recordPrice(m, T0 + 120, 1.3, 1)
    expect(engine.onMarketMoved(token, m, T0 + 120, 'b')).toMatchObject([{ id: 'price:b', type: 'price', message: 'MEME up 30% in 5m', severity: 'warning', data: { percent: 30, direction: 'up' } }])
    recordPrice(m, T0 + 180, 1.6, 1)
    expect(engine.onMarketMoved(token, m, T0 + 180, 'c')).toEqual([])
  })

  it('detects a dump from the window high and ignores moves older than the window', () => {
    const engine = createAlertEngine(th)
    const m = createTokenMarket()
    recordPrice(m, T0, 1, 1)
    recordPrice(m, T0 + 600, 2, 1)
    recordPrice(m, T0 + 1000, 2.1, 1)
    expect(engine.onMarketMoved(token, m, T0 + 1000, 'x')).toEqual([])
    recordPrice(m, T0 + 1060, 0.5, 1)
    expect(engine.onMarketMoved(token, m, T0 + 1060, 'y')).toMatchObject([{ message: 'MEME down 76.2% in 5m', severity: 'critical' }])
  })
})

describe('volume rule', () => {
  function market(trailingPerWindow: number, current: number) {
    const m = createTokenMarket()
    for (let i = 0; i < 12; i++) {
      recordPrice(m, T0 + i * 300, 1, 1)
      recordTrade(m, T0 + i * 300, 'buy', trailingPerWindow, trailingPerWindow)
    }
    recordPrice(m, T0 + 3600 + 60, 1, 1)
    recordTrade(m, T0 + 3600 + 60, 'buy', current, current)
    return m
  }

  it('fires at K times the trailing average above the minimum, not below', () => {
    expect(createAlertEngine(th).onMarketMoved(token, market(1000, 4999), T0 + 3660, 'v')).toEqual([])
    expect(createAlertEngine(th).onMarketMoved(token, market(1000, 5000), T0 + 3660, 'v')).toMatchObject([{ type: 'volume', message: 'MEME traded $5K in 5m, 5× its average', data: { valueUsd: 5000, multiple: 5 } }])
  })

  it('ignores spikes below the USD minimum and tokens without history', () => {
    expect(createAlertEngine(th).onMarketMoved(token, market(10, 900), T0 + 3660, 'v')).toEqual([])
    expect(createAlertEngine(th).onMarketMoved(token, market(0, 50_000), T0 + 3660, 'v')).toEqual([])
  })
})

describe('formatUsd', () => {
  it('reads like a trader writes', () => {
    expect([2_500_000, 52_000, 950, 0.42, 1_250_000_000, 10_000].map(formatUsd)).toEqual(['$2.5M', '$52K', '$950', '$0.42', '$1.3B', '$10K'])
  })
})
