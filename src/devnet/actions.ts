import type { Address } from 'viem'
import { balanceOf, createActionContext, pairOf, type ActionContext } from './actionContext.js'
import type { DevnetWallet } from './client.js'
import type { Deployment } from './deploy.js'
import { launchDirect, launchToken, type LaunchTokenParameters, type LaunchTokenReturnType } from './launch.js'
import { burnLp, removeLiquidity, type BurnLpParameters, type BurnLpReturnType, type RemoveLiquidityParameters, type RemoveLiquidityReturnType } from './liquidity.js'
import { bundleBuy, buy, sell, type BundleBuyParameters, type BundleBuyReturnType, type BuyParameters, type SellParameters, type TradeReturnType } from './trade.js'
import { transfer, type TransferParameters, type TransferReturnType } from './transfer.js'

export { DEAD_ADDRESS, DevnetTxError } from './actionContext.js'
export type { LaunchBundleParameters, LaunchTrade, SnipeParameters, LaunchTokenParameters, LaunchTokenReturnType, TokenKind, TokenKindParameters } from './launch.js'
export type { BurnLpParameters, BurnLpReturnType, RemoveLiquidityParameters, RemoveLiquidityReturnType } from './liquidity.js'
export type { BundleBuyParameters, BundleBuyReturnType, BuyParameters, SellParameters, SwapAmounts, TradeReturnType } from './trade.js'
export type { Payment, TransferParameters, TransferReturnType } from './transfer.js'

/** The simulated market moves, shared by the simulator loop and the tests. Each waits for its receipts. */
export type DevnetActions = {
  /**
   * `launcher.createToken` (or `createTaxToken`, `createHoneypotToken`), the insider transfers, then
   * `router.addLiquidityETH` (which creates the pair) with the bundle and the snipes right behind it,
   * then the late snipes. Holds the creator's and the snipers' wallets until it is done.
   */
  launchToken(parameters: LaunchTokenParameters): Promise<LaunchTokenReturnType>
  /** Like `launchToken`, but the token contract is deployed by the creator itself: no `TokenCreated`. */
  launchDirect(parameters: LaunchTokenParameters): Promise<LaunchTokenReturnType>
  /** `router.swapExactETHForTokens` with `amountCore` of native CORE. */
  buy(parameters: BuyParameters): Promise<TradeReturnType>
  /** `router.swapExactTokensForETHSupportingFeeOnTransferTokens` of an amount or a percentage of the balance (approves the router once per wallet and token). */
  sell(parameters: SellParameters): Promise<TradeReturnType>
  /** `bundler.buyFor`: buys for several recipients in one transaction. */
  bundleBuy(parameters: BundleBuyParameters): Promise<BundleBuyReturnType>
  /** `router.removeLiquidityETHSupportingFeeOnTransferTokens` of `percent` (0–100) of the wallet's LP tokens. */
  removeLiquidity(parameters: RemoveLiquidityParameters): Promise<RemoveLiquidityReturnType>
  /** Sends `percent` (0–100) of the wallet's LP tokens to `0x…dEaD`. */
  burnLp(parameters: BurnLpParameters): Promise<BurnLpReturnType>
  /** A plain ERC-20 transfer. */
  transfer(parameters: TransferParameters): Promise<TransferReturnType>
  /** The token/WCORE pair. */
  pairOf(token: Address): Promise<Address>
  /** A wallet's balance of an ERC-20 (the token or a pair's LP token). */
  balanceOf(token: Address, owner: Address): Promise<bigint>
}

export type CreateActionsParameters = { rpcUrl: string; deployment: Deployment; signal?: AbortSignal }

/** The wallets an action sends from: its own, and a launch's snipers. */
function walletsOf(p: { wallet: DevnetWallet; snipes?: readonly { wallet: DevnetWallet }[]; lateSnipes?: readonly { wallet: DevnetWallet }[] }): Address[] {
  const snipers = [...(p.snipes ?? []), ...(p.lateSnipes ?? [])].map((s) => s.wallet.address)
  return [...new Set([p.wallet.address, ...snipers])]
}

/**
 * Runs each wallet's calls one after another, so its nonces stay in order. An action that sends
 * from several wallets (a launch with snipes) waits for all of them and holds all of them.
 */
function createWalletQueues() {
  const queues = new Map<Address, Promise<unknown>>()
  return function serial<P extends { wallet: DevnetWallet }, R>(ctx: ActionContext, action: (ctx: ActionContext, p: P) => Promise<R>) {
    return (p: P): Promise<R> => {
      const wallets = walletsOf(p)
      const run = Promise.all(wallets.map((w) => queues.get(w))).then(() => action(ctx, p))
      const settled = run.catch(() => undefined)
      for (const w of wallets) queues.set(w, settled)
      return run
    }
  }
}

/**
 * The devnet's market actions. Calls for one wallet run one after another (its nonces stay in
 * order); different wallets run concurrently and may land in the same block.
 *
 * @example
 * const actions = createActions({ rpcUrl: anvil.rpcUrl, deployment })
 * const { token } = await actions.launchToken({ wallet, name: 'Frog', symbol: 'FROG', supply: parseEther('1000000'), liquidityCore: parseEther('100'), liquidityTokens: parseEther('500000') })
 * await actions.buy({ wallet: other, token, amountCore: parseEther('1') })
 */
export function createActions({ rpcUrl, deployment, signal }: CreateActionsParameters): DevnetActions {
  const ctx = createActionContext({ rpcUrl, deployment, signal })
  const serial = createWalletQueues()
  return {
    launchToken: serial(ctx, launchToken),
    launchDirect: serial(ctx, launchDirect),
    buy: serial(ctx, buy),
    sell: serial(ctx, sell),
    bundleBuy: serial(ctx, bundleBuy),
    removeLiquidity: serial(ctx, removeLiquidity),
    burnLp: serial(ctx, burnLp),
    transfer: serial(ctx, transfer),
    pairOf: (token) => pairOf(ctx, token),
    balanceOf: (token, owner) => balanceOf(ctx, token, owner),
  }
}
