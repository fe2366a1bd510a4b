import { encodeFunctionData, getAddress, maxUint256, parseEventLogs, type Address, type Hash, type TransactionReceipt } from 'viem'
import { bundlerAbi, coreMemePairAbi, coreMemeRouterAbi } from './abis.js'
import { approveRouter, balanceOf, confirm, GAS, pairOf, percentOf, type ActionContext } from './actionContext.js'
import { sendCall, type Call } from './calls.js'
import type { DevnetWallet } from './client.js'

export type BuyParameters = { wallet: DevnetWallet; token: Address; amountCore: bigint }
/** Sells `amountTokens`, or `percent` (0–100) of the wallet's balance read just before sending. */
export type SellParameters = { wallet: DevnetWallet; token: Address } & ({ amountTokens: bigint; percent?: never } | { percent: number; amountTokens?: never })
/** What a swap moved: `amountIn` of what was paid, `amountOut` of what was received (wei units, as the pair's `Swap` says: before any token tax). */
export type TradeReturnType = { txHashes: Hash[]; amountIn: bigint; amountOut: bigint }
/** `amountCore` of native CORE split evenly between the recipients, each bought for in the same transaction. */
export type BundleBuyParameters = { wallet: DevnetWallet; token: Address; recipients: readonly Address[]; amountCore: bigint }
/** One pair `Swap`: who received the output, and the amounts in and out (before any token tax). */
export type SwapAmounts = { to: Address; amountIn: bigint; amountOut: bigint }
/** One `Swap` per recipient, in the order of `recipients`. */
export type BundleBuyReturnType = { txHashes: Hash[]; swaps: SwapAmounts[] }

/**
 * The pair's `Swap` logs in a receipt, in log order.
 *
 * @example
 * swapsIn(receipt, pair) // [{ to: '0x…', amountIn: 10n ** 18n, amountOut: 123n }]
 */
export function swapsIn(receipt: TransactionReceipt, pair: Address): SwapAmounts[] {
  return parseEventLogs({ abi: coreMemePairAbi, eventName: 'Swap', logs: receipt.logs })
    .filter((l) => getAddress(l.address) === pair)
    .map(({ args: s }) => ({ to: getAddress(s.to), amountIn: s.amount0In + s.amount1In, amountOut: s.amount0Out + s.amount1Out }))
}

/** The first `Swap` of the pair in a receipt, as amounts in and out (zero if none). */
function swapAmounts(receipt: TransactionReceipt, pair: Address): { amountIn: bigint; amountOut: bigint } {
  const [first] = swapsIn(receipt, pair)
  return { amountIn: first?.amountIn ?? 0n, amountOut: first?.amountOut ?? 0n }
}

/**
 * `router.swapExactETHForTokens` of `amountCore` for `wallet`, as a {@link Call}.
 *
 * @example
 * await sendCall(ctx, buyCall(ctx, wallet, token, parseEther('1')))
 */
export function buyCall(ctx: ActionContext, wallet: DevnetWallet, token: Address, amountCore: bigint): Call {
  const { router, wcore } = ctx.deployment
  const data = encodeFunctionData({ abi: coreMemeRouterAbi, functionName: 'swapExactETHForTokens', args: [0n, [wcore, token], wallet.address, maxUint256] })
  return { wallet, to: router, data, value: amountCore, gas: GAS.swap, label: `buy ${token}` }
}

/**
 * `bundler.buyFor`: `amountCore` split between `recipients`, as a {@link Call}. Throws when the
 * deployment has no bundler (a deployment file written before it existed).
 *
 * @example
 * await sendCall(ctx, bundleCall(ctx, creator, token, [a, b, c], parseEther('3')))
 */
export function bundleCall(ctx: ActionContext, wallet: DevnetWallet, token: Address, recipients: readonly Address[], amountCore: bigint): Call {
  const { bundler, router } = ctx.deployment
  if (!bundler) throw new Error('bundle: the deployment has no bundler')
  const data = encodeFunctionData({ abi: bundlerAbi, functionName: 'buyFor', args: [router, token, [...recipients]] })
  return { wallet, to: bundler, data, value: amountCore, gas: GAS.bundleBase + GAS.bundlePerRecipient * BigInt(recipients.length), label: `bundle ${token}` }
}

/**
 * `router.swapExactETHForTokens` with `amountCore` of native CORE. A tax token's buy tax comes off
 * what the wallet receives; the `Swap` shows the amount before it.
 *
 * @example
 * const { amountOut } = await buy(ctx, { wallet, token, amountCore: parseEther('1') })
 */
export async function buy(ctx: ActionContext, { wallet, token, amountCore }: BuyParameters): Promise<TradeReturnType> {
  const pair = await pairOf(ctx, token)
  const hash = await sendCall(ctx, buyCall(ctx, wallet, token, amountCore))
  const receipt = await confirm(ctx, wallet, hash, `buy ${token}`)
  return { txHashes: [hash], ...swapAmounts(receipt, pair) }
}

/**
 * `router.swapExactTokensForETHSupportingFeeOnTransferTokens` of an amount or a percentage of the
 * balance (approves the router once per wallet and token). The fee-on-transfer variant prices the
 * swap on what the pair received, so it works with a sell tax; for an untaxed token it does exactly
 * what `swapExactTokensForETH` does. A honeypot holder's sell reverts (`DevnetTxError`).
 *
 * @example
 * await sell(ctx, { wallet, token, percent: 50 })
 */
export async function sell(ctx: ActionContext, { wallet, token, ...amount }: SellParameters): Promise<TradeReturnType> {
  const pair = await pairOf(ctx, token)
  const amountTokens = amount.amountTokens ?? percentOf(await balanceOf(ctx, token, wallet.address), amount.percent)
  if (amountTokens === 0n) throw new Error(`sell: ${wallet.address} holds no ${token}`)
  const approvals = await approveRouter(ctx, wallet, token)
  const { router, wcore } = ctx.deployment
  const data = encodeFunctionData({
    abi: coreMemeRouterAbi,
    functionName: 'swapExactTokensForETHSupportingFeeOnTransferTokens',
    args: [amountTokens, 0n, [token, wcore], wallet.address, maxUint256],
  })
  const hash = await sendCall(ctx, { wallet, to: router, data, gas: GAS.swap, label: `sell ${token}` })
  const receipt = await confirm(ctx, wallet, hash, `sell ${token}`)
  return { txHashes: [...approvals, hash], ...swapAmounts(receipt, pair) }
}

/**
 * `bundler.buyFor`: one transaction that buys `token` for every recipient, `amountCore / recipients`
 * each, each through the router with the recipient as `to`.
 *
 * @example
 * const { swaps } = await bundleBuy(ctx, { wallet: creator, token, recipients: [a, b, c], amountCore: parseEther('3') })
 */
export async function bundleBuy(ctx: ActionContext, { wallet, token, recipients, amountCore }: BundleBuyParameters): Promise<BundleBuyReturnType> {
  const pair = await pairOf(ctx, token)
  const hash = await sendCall(ctx, bundleCall(ctx, wallet, token, recipients, amountCore))
  const receipt = await confirm(ctx, wallet, hash, `bundleBuy ${token}`)
  return { txHashes: [hash], swaps: swapsIn(receipt, pair) }
}
