import { round, toDecimalString, toNumber } from './units.js'

/** A swap as seen from a CORE-quoted pair: which side is the token and which is CORE. */
export type SwapAmounts = { amount0In: bigint; amount1In: bigint; amount0Out: bigint; amount1Out: bigint }

export type ClassifiedSwap = {
  type: 'buy' | 'sell'
  /** Whole-unit decimal strings. */
  amountToken: string
  amountCore: string
  /** CORE per token. */
  price: number
  /** CORE moved, as a number (for USD value). */
  core: number
}

/**
 * Classifies a swap on a token/CORE pair as the Uniswap subgraph does: CORE in and token out is a
 * **buy**, token in and CORE out a **sell**. Returns null for a swap that moves no token (dust or
 * a flash swap repaid in the same asset).
 *
 * @example
 * classifySwap({ amount0In: 0n, amount1In: 10n ** 18n, amount0Out: 4000n * 10n ** 18n, amount1Out: 0n }, 0, 18)
 * // token is token0, CORE is token1: { type: 'buy', amountToken: '4000', amountCore: '1', price: 0.00025, core: 1 }
 */
export function classifySwap(swap: SwapAmounts, tokenIndex: 0 | 1, tokenDecimals: number, coreDecimals = 18): ClassifiedSwap | null {
  const tokenIn = tokenIndex === 0 ? swap.amount0In : swap.amount1In
  const tokenOut = tokenIndex === 0 ? swap.amount0Out : swap.amount1Out
  const coreIn = tokenIndex === 0 ? swap.amount1In : swap.amount0In
  const coreOut = tokenIndex === 0 ? swap.amount1Out : swap.amount0Out
  const buy = coreIn > coreOut
  const tokenRaw = buy ? tokenOut - tokenIn : tokenIn - tokenOut
  const coreRaw = buy ? coreIn - coreOut : coreOut - coreIn
  if (tokenRaw <= 0n || coreRaw <= 0n) return null
  const token = toNumber(tokenRaw, tokenDecimals)
  const core = toNumber(coreRaw, coreDecimals)
  return {
    type: buy ? 'buy' : 'sell',
    amountToken: toDecimalString(tokenRaw, tokenDecimals),
    amountCore: toDecimalString(coreRaw, coreDecimals),
    price: round(core / token),
    core,
  }
}
