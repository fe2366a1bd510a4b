import { parseUnits, type Address } from 'viem'
import type { Logger } from 'pino'
import { DevnetTxError } from './actionContext.js'
import type { DevnetActions, LaunchTokenParameters, LaunchTokenReturnType } from './actions.js'
import type { DevnetWallet } from './client.js'
import type { LaunchDecision, LaunchScenario, SellDecision, SimDecision, Snipe } from './decisions.js'

/** What the loop has done so far (successful actions only, except `failed`). */
export type SimStats = {
  launches: number
  /** Every swap that bought: trades, whales, pumps, snipes, each recipient of a bundle. */
  buys: number
  sells: number
  whales: number
  pumps: number
  dumps: number
  rugs: number
  /** Sniper buys, in the launch block or the next. */
  snipes: number
  /** `Bundler` transactions (each counts its recipients' swaps in `buys`). */
  bundles: number
  lpBurns: number
  /** Sells of a honeypot that reverted, as they should. */
  honeypotReverts: number
  failed: number
  skipped: number
}

/** A decision about a token already launched. */
export type TokenDecision = Exclude<SimDecision, LaunchDecision>

/** A launch the loop made: what the chain says, and the decision it came from. */
export type SimLaunch = LaunchTokenReturnType & { scenario: LaunchScenario; decision: LaunchDecision }

/** What executing a decision needs. */
export type ExecuteDeps = { actions: DevnetActions; wallets: readonly DevnetWallet[]; stats: SimStats; log: Logger }

/**
 * Zeroed stats.
 *
 * @example
 * const stats = emptyStats() // { launches: 0, buys: 0, … }
 */
export function emptyStats(): SimStats {
  return { launches: 0, buys: 0, sells: 0, whales: 0, pumps: 0, dumps: 0, rugs: 0, snipes: 0, bundles: 0, lpBurns: 0, honeypotReverts: 0, failed: 0, skipped: 0 }
}

/** `12.5` → 12.5 × 10^decimals, for the planner's whole-unit numbers. */
function units(amount: number, decimals = 18): bigint {
  return parseUnits(amount.toFixed(6), decimals)
}

/**
 * The launch action's parameters for a launch decision: token kind, insider payments (whole
 * percent of the supply), the snipes and the bundle in the launch block.
 *
 * @example
 * await actions.launchToken(launchParameters(decision, wallets))
 */
export function launchParameters(d: LaunchDecision, wallets: readonly DevnetWallet[]): LaunchTokenParameters {
  const supply = units(d.supply)
  const address = (i: number) => wallets[i]!.address
  const snipe = (s: Snipe) => ({ wallet: wallets[s.wallet]!, amountCore: units(s.amountCore) })
  const kind = d.token === 'tax' ? { kind: 'tax' as const, buyTaxBps: d.buyTaxBps, sellTaxBps: d.sellTaxBps } : { kind: d.token }
  return {
    wallet: wallets[d.creator]!,
    name: d.name,
    symbol: d.symbol,
    supply,
    liquidityCore: units(d.liquidityCore),
    liquidityTokens: (supply * BigInt(d.liquidityPercent)) / 100n,
    ...kind,
    insiders: d.insiders.map((i) => ({ address: address(i.wallet), amount: (supply * BigInt(i.percent)) / 100n })),
    snipes: d.snipes.map(snipe),
    lateSnipes: d.lateSnipes.map(snipe),
    ...(d.bundle ? { bundle: { recipients: d.bundle.recipients.map(address), amountCore: units(d.bundle.amountCore) } } : {}),
  }
}

/** Counts a launch and what went in its block. */
function countLaunch(stats: SimStats, result: LaunchTokenReturnType): void {
  stats.launches++
  for (const snipe of [...result.snipes, ...result.lateSnipes]) {
    if (snipe.status !== 'success') continue
    stats.snipes++
    stats.buys++
  }
  if (result.bundle?.status === 'success') {
    stats.bundles++
    stats.buys += result.bundle.swaps.length
  }
}

/**
 * Launches a token as decided.
 *
 * @example
 * const launched = await executeLaunch(deps, decision)
 */
export async function executeLaunch(deps: ExecuteDeps, d: LaunchDecision): Promise<SimLaunch> {
  const result = await deps.actions.launchToken(launchParameters(d, deps.wallets))
  countLaunch(deps.stats, result)
  const reverted = [...result.snipes, ...result.lateSnipes, ...(result.bundle ? [result.bundle] : [])].filter((t) => t.status !== 'success').length
  if (reverted > 0) deps.log.warn({ launch: d.launch, reverted }, 'sim: launch-block trades reverted')
  deps.log.info({ launch: d.launch, scenario: d.scenario, symbol: d.symbol, token: result.token, pair: result.pair, block: Number(result.liquidityBlock) }, 'sim: token launched')
  return { ...result, scenario: d.scenario, decision: d }
}

const MESSAGES: Record<TokenDecision['kind'], string> = { buy: 'sim: buy', sell: 'sim: sell', rug: 'sim: rug (liquidity removed)', burnLp: 'sim: LP burned' }

/** A honeypot holder's sell: reverting is the expected outcome. */
async function trySellHoneypot(deps: ExecuteDeps, d: SellDecision, token: Address): Promise<void> {
  const wallet = deps.wallets[d.wallet]!
  try {
    await deps.actions.sell({ wallet, token, percent: d.percent })
  } catch (err) {
    if (!(err instanceof DevnetTxError)) throw err
    deps.stats.honeypotReverts++
    deps.log.debug({ token, wallet: wallet.address }, 'sim: honeypot sell reverted')
    return
  }
  deps.stats.sells++
  deps.log.warn({ token, wallet: wallet.address }, 'sim: a honeypot sell went through')
}

/**
 * Runs a decision about a launched token.
 *
 * @example
 * await executeOnToken(deps, { kind: 'buy', launch: 0, wallet: 3, amountCore: 1.5, reason: 'trade' }, token)
 */
export async function executeOnToken(deps: ExecuteDeps, d: TokenDecision, token: Address): Promise<void> {
  const { actions, stats, log } = deps
  const wallet = deps.wallets[d.wallet]!
  const level = d.kind === 'buy' || d.kind === 'sell' ? (d.reason === 'trade' ? 'debug' : 'info') : 'info'
  if (d.kind === 'sell' && d.expectRevert) return trySellHoneypot(deps, d, token)
  if (d.kind === 'buy') {
    await actions.buy({ wallet, token, amountCore: units(d.amountCore) })
    stats.buys++
    if (d.reason !== 'trade') stats[d.reason === 'whale' ? 'whales' : 'pumps']++
  } else if (d.kind === 'sell') {
    await actions.sell({ wallet, token, percent: d.percent })
    stats.sells++
    if (d.reason === 'dump') stats.dumps++
  } else if (d.kind === 'rug') {
    await actions.removeLiquidity({ wallet, token, percent: d.percent })
    stats.rugs++
  } else {
    await actions.burnLp({ wallet, token, percent: d.percent })
    stats.lpBurns++
  }
  log[level]({ ...d, token, wallet: wallet.address }, MESSAGES[d.kind])
}
