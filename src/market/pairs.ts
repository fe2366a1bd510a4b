import type { Address } from 'viem'

/** What a pair means to the market: a token quoted in CORE, a CORE/USD reference, or neither. */
export type PairRole =
  | { kind: 'token'; token: Address; tokenIndex: 0 | 1; quote: Address }
  | { kind: 'usd'; stable: Address; stableIndex: 0 | 1; quote: Address }
  | { kind: 'other' }

export type QuoteConfig = {
  /** Wrapped CORE addresses (EIP-55): the quote side of meme pairs. */
  quoteTokens: readonly Address[]
  /** USD stablecoins (EIP-55): their pairs with a quote token give CORE/USD. */
  usdTokens: readonly Address[]
}

/**
 * Decides a pair's role from its two tokens.
 *
 * @example
 * pairRole(WCORE, MEME, { quoteTokens: [WCORE], usdTokens: [USDT] }) // { kind: 'token', token: MEME, tokenIndex: 1, quote: WCORE }
 */
export function pairRole(token0: Address, token1: Address, config: QuoteConfig): PairRole {
  const quote0 = config.quoteTokens.includes(token0)
  const quote1 = config.quoteTokens.includes(token1)
  if (quote0 === quote1) return { kind: 'other' }
  const [quote, other, otherIndex] = quote0 ? [token0, token1, 1 as const] : [token1, token0, 0 as const]
  if (config.usdTokens.includes(other)) return { kind: 'usd', stable: other, stableIndex: otherIndex, quote }
  return { kind: 'token', token: other, tokenIndex: otherIndex, quote }
}
