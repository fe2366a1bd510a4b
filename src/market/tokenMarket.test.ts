import { describe, expect, it } from 'vitest'
import { candles, createTokenMarket, DAY_SECONDS, evict, priceRange, recordPrice, recordTrade, windowStats } from './tokenMarket.js'

const T0 = 1_700_000_000 - (1_700_000_000 % 3600)

describe('token market buckets', () => {
  it('keeps one bucket per minute with open, high, low, close', () => {
    const m = createTokenMarket()
    recordPrice(m, T0, 1, 2)
    recordPrice(m, T0 + 10, 3, 2)
    recordPrice(m, T0 + 20, 0.5, 2)
    recordPrice(m, T0 + 30, 2, 2)
    recordPrice(m, T0 + 60, 2.5, 2)
    expect(m.buckets).toHaveLength(2)
    expect(m.buckets[0]).toMatchObject({ open: 1, high: 3, low: 0.5, close: 2 })
    expect(m.buckets[1]).toMatchObject({ open: 2, high: 2.5, low: 2, close: 2.5 })
  })

  it('computes change and volume over a window, and the change since launch for a young token', () => {
    const m = createTokenMarket()
    recordPrice(m, T0, 1, 1)
    recordTrade(m, T0, 'buy', 10, 10)
    recordPrice(m, T0 + 3600, 2, 1)
    recordTrade(m, T0 + 3600, 'sell', 4, 4)
    const now = T0 + 3600 + 30
    expect(windowStats(m, now, 300)).toEqual({ changePercent: 100, volumeUsd: 4, volumeCore: 4, buys: 0, sells: 1 })
    expect(windowStats(m, now, DAY_SECONDS)).toEqual({ changePercent: 100, volumeUsd: 14, volumeCore: 14, buys: 1, sells: 1 })
  })

  it('evicts buckets older than 24 h but keeps the newest of them as the reference price', () => {
    const m = createTokenMarket()
    for (let h = 0; h < 30; h++) recordPrice(m, T0 + h * 3600, h + 1, 1)
    const now = T0 + 29 * 3600
    evict(m, now)
    expect(m.buckets.length).toBe(25)
    expect(m.buckets[0]!.close).toBe(6)
    expect(windowStats(m, now, DAY_SECONDS).changePercent).toBeCloseTo(((30 - 6) / 6) * 100, 10)
  })

  it('stays bounded at any trade rate', () => {
    const m = createTokenMarket()
    for (let s = 0; s < 3 * DAY_SECONDS; s += 7) {
      recordPrice(m, T0 + s, 1 + (s % 13), 1)
      recordTrade(m, T0 + s, 'buy', 1, 1)
      if (s % 600 === 0) evict(m, T0 + s)
    }
    evict(m, T0 + 3 * DAY_SECONDS)
    expect(m.buckets.length).toBeLessThanOrEqual(1441)
  })

  it('undoes a reorged trade', () => {
    const m = createTokenMarket()
    recordPrice(m, T0, 1, 1)
    recordTrade(m, T0, 'buy', 5, 5)
    recordTrade(m, T0, 'buy', 5, 5, -1)
    expect(m.buckets[0]).toMatchObject({ volumeUsd: 0, volumeCore: 0, buys: 0 })
  })

  it('finds the price range within a window', () => {
    const m = createTokenMarket()
    recordPrice(m, T0, 10, 1)
    recordPrice(m, T0 + 600, 4, 1)
    recordPrice(m, T0 + 660, 6, 1)
    expect(priceRange(m, T0 + 700, 300)).toEqual({ low: 4, high: 10 })
    expect(priceRange(m, T0 + 720, 60)).toEqual({ low: 4, high: 6 })
  })

  it('builds 1m, 5m and 1h candles in USD from the minute buckets', () => {
    const m = createTokenMarket()
    recordPrice(m, T0, 1, 2)
    recordTrade(m, T0, 'buy', 1, 2)
    recordPrice(m, T0 + 60, 3, 2)
    recordPrice(m, T0 + 120, 2, 2)
    recordTrade(m, T0 + 120, 'sell', 2, 4)
    recordPrice(m, T0 + 360, 5, 2)
    expect(candles(m, 60)).toHaveLength(4)
    expect(candles(m, 300)).toEqual([
      { time: T0, open: 2, high: 6, low: 2, close: 4, volume: 6, volumeCore: 3, trades: 2 },
      { time: T0 + 300, open: 4, high: 10, low: 4, close: 10, volume: 0, volumeCore: 0, trades: 0 },
    ])
    expect(candles(m, 3600)).toEqual([{ time: T0, open: 2, high: 10, low: 2, close: 10, volume: 6, volumeCore: 3, trades: 2 }])
  })
})
