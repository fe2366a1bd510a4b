/**
 * What the planner decides and the simulator executes: one tagged union. Amounts are whole CORE
 * (numbers), wallets are indexes, tokens are launch numbers.
 */

/**
 * What a launch is meant to show. Every launch goes through the launcher (`TokenCreated`) and
 * `router.addLiquidityETH` (`PairCreated`); the scenario adds one launch risk (see `scenarios.ts`):
 * - `plain`: nothing more;
 * - `snipers`: 3–4 other wallets buy in the liquidity's block and the next one;
 * - `bundle`: the creator buys for 3–5 other wallets in one `Bundler` transaction, in the liquidity's block;
 * - `tax`: a `TaxToken` (3–5 % buy, 5–10 % sell, paid to the creator);
 * - `honeypot`: a `HoneypotToken`, which only the creator can sell (holders' sells revert);
 * - `lpBurn`: the creator sends all its LP tokens to `0x…dEaD` right after the launch;
 * - `rugPull`: the creator keeps its LP tokens and later removes them (the first rug once `rugMinAgeMs` has passed);
 * - `insiders`: the creator hands 2–4 wallets part of the supply before adding liquidity.
 */
export type LaunchScenario = 'plain' | 'snipers' | 'bundle' | 'tax' | 'honeypot' | 'lpBurn' | 'rugPull' | 'insiders'

/** A share of the supply (whole percent) the creator transfers to a wallet before adding liquidity. */
export type InsiderShare = { wallet: number; percent: number }

/** A sniper's buy, sent with the launch: in the liquidity's block (right behind it), or in the next one. */
export type Snipe = { wallet: number; amountCore: number }

/** The creator's `Bundler` transaction in the liquidity's block: `amountCore` split between the recipients. */
export type LaunchBundle = { recipients: number[]; amountCore: number }

/** A launch decision. `launch` numbers launches 0, 1, 2… and is how later decisions name the token. */
export type LaunchDecision = {
  kind: 'launch'
  launch: number
  creator: number
  name: string
  symbol: string
  supply: number
  liquidityCore: number
  /** Share of the supply added as liquidity. */
  liquidityPercent: number
  scenario: LaunchScenario
  token: 'meme' | 'tax' | 'honeypot'
  /** Basis points, 0 unless `token` is `tax`. */
  buyTaxBps: number
  sellTaxBps: number
  insiders: InsiderShare[]
  /** Sniper buys in the liquidity's block, right behind it. */
  snipes: Snipe[]
  /** Sniper buys sent as soon as the liquidity's block is mined: the next block. */
  lateSnipes: Snipe[]
  bundle: LaunchBundle | null
}

export type BuyDecision = { kind: 'buy'; launch: number; wallet: number; amountCore: number; reason: 'trade' | 'whale' | 'pump' }
/** Sells `percent` of the wallet's balance of the token at execution time. `expectRevert`: a holder trying to sell a honeypot. */
export type SellDecision = { kind: 'sell'; launch: number; wallet: number; percent: number; reason: 'trade' | 'dump'; expectRevert?: true }
/** The creator removes `percent` of its LP tokens. */
export type RugDecision = { kind: 'rug'; launch: number; wallet: number; percent: number }
/** The creator sends `percent` of its LP tokens to `0x…dEaD`, right after the launch. */
export type BurnLpDecision = { kind: 'burnLp'; launch: number; wallet: number; percent: number }

/** One step of the simulated market. */
export type SimDecision = LaunchDecision | BuyDecision | SellDecision | RugDecision | BurnLpDecision
