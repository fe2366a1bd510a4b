import { describe, expect, it } from 'vitest'
import type { Address } from 'viem'
import { coreUsdPrice } from './coreUsd.js'
import { pairRole } from './pairs.js'
import { createReserveBook } from './reserves.js'
import { classifySwap } from './swap.js'

const e18 = 10n ** 18n
const WCORE = '0x40375C92d9FAf44d2f9db9Bd9ba41a3317a2404f' as Address
const USDT = '0x900101d06A7426441Ae63e9AB3B9b0F63Be145F1' as Address
const MEME = '0x1212121212121212121212121212121212121212' as Address
const quotes = { quoteTokens: [WCORE], usdTokens: [USDT] }

describe('classifySwap', () => {
  it('calls CORE in, token out a buy (token is token0)', () => {
    expect(classifySwap({ amount0In: 0n, amount1In: e18, amount0Out: 4000n * e18, amount1Out: 0n }, 0, 18)).toEqual({
      type: 'buy',
      amountToken: '4000',
      amountCore: '1',
      price: 0.00025,
      core: 1,
    })
  })

  it('calls token in, CORE out a sell (token is token1, 6 decimals)', () => {
    expect(classifySwap({ amount0In: 0n, amount1In: 2_000_000n, amount0Out: e18 / 2n, amount1Out: 0n }, 1, 6)).toEqual({
      type: 'sell',
      amountToken: '2',
      amountCore: '0.5',
      price: 0.25,
      core: 0.5,
    })
  })

  it('nets amounts in and out of the same side', () => {
    const swap = classifySwap({ amount0In: 100n * e18, amount1In: 3n * e18, amount0Out: 600n * e18, amount1Out: e18 }, 0, 18)
    expect(swap).toMatchObject({ type: 'buy', amountToken: '500', amountCore: '2', price: 0.004 })
  })

  it('ignores a swap that moves no token', () => {
    expect(classifySwap({ amount0In: 0n, amount1In: e18, amount0Out: 0n, amount1Out: 0n }, 0, 18)).toBeNull()
  })
})

describe('pairRole', () => {
  it('finds the token and its index in a CORE pair', () => {
    expect(pairRole(MEME, WCORE, quotes)).toEqual({ kind: 'token', token: MEME, tokenIndex: 0, quote: WCORE })
    expect(pairRole(WCORE, MEME, quotes)).toEqual({ kind: 'token', token: MEME, tokenIndex: 1, quote: WCORE })
  })

  it('recognises a CORE/USD reference pair and ignores pairs without CORE', () => {
    expect(pairRole(USDT, WCORE, quotes)).toEqual({ kind: 'usd', stable: USDT, stableIndex: 0, quote: WCORE })
    expect(pairRole(MEME, USDT, quotes)).toEqual({ kind: 'other' })
  })
})

describe('coreUsdPrice', () => {
  it('is the reserve-weighted average over stable pairs', () => {
    const price = coreUsdPrice([
      { stableReserve: 120n * 10n ** 6n, stableDecimals: 6, coreReserve: 100n * e18 },
      { stableReserve: 260n * e18, stableDecimals: 18, coreReserve: 200n * e18 },
    ])
    expect(price).toBeCloseTo(380 / 300, 12)
  })

  it('is null until a pair has reserves', () => {
    expect(coreUsdPrice([])).toBeNull()
    expect(coreUsdPrice([{ stableReserve: 0n, stableDecimals: 6, coreReserve: 0n }])).toBeNull()
  })
})

describe('reserve book', () => {
  it('puts back what reorged blocks overwrote and forgets finalized history', () => {
    const book = createReserveBook()
    book.set(MEME, 1n, 1n, 10n)
    book.set(MEME, 2n, 2n, 11n)
    book.set(USDT, 5n, 5n, 12n)
    book.revertAfter(10n)
    expect(book.get(MEME)).toEqual({ reserve0: 1n, reserve1: 1n, block: 10n })
    expect(book.get(USDT)).toBeUndefined()
    book.set(MEME, 3n, 3n, 11n)
    book.finalize(11n)
    book.revertAfter(5n)
    expect(book.get(MEME)).toEqual({ reserve0: 3n, reserve1: 3n, block: 11n })
  })
})
