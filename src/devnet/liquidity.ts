import { maxUint256, type Address, type Hash } from 'viem'
import { coreMemeRouterAbi, memeTokenAbi } from './abis.js'
import { approveRouter, balanceOf, confirm, DEAD_ADDRESS, GAS, pairOf, percentOf, type ActionContext } from './actionContext.js'
import type { DevnetWallet } from './client.js'

/** `percent` (0–100) of the wallet's LP tokens of the token/WCORE pair. */
export type LiquidityParameters = { wallet: DevnetWallet; token: Address; percent: number }
export type RemoveLiquidityParameters = LiquidityParameters
/** `liquidity`: the LP tokens removed or burned. */
export type RemoveLiquidityReturnType = { txHashes: Hash[]; liquidity: bigint }
export type BurnLpParameters = LiquidityParameters
export type BurnLpReturnType = RemoveLiquidityReturnType

/** `percent` of the wallet's LP tokens; throws when that is nothing. */
async function lpShare(ctx: ActionContext, { wallet, token, percent }: LiquidityParameters, label: string): Promise<{ pair: Address; liquidity: bigint }> {
  const pair = await pairOf(ctx, token)
  const liquidity = percentOf(await balanceOf(ctx, pair, wallet.address), percent)
  if (liquidity === 0n) throw new Error(`${label}: ${wallet.address} has no LP tokens of ${pair}`)
  return { pair, liquidity }
}

/**
 * `router.removeLiquidityETHSupportingFeeOnTransferTokens` of `percent` of the wallet's LP tokens (a
 * rug when the creator does it). The fee-on-transfer variant forwards whatever tokens reached the
 * router, so a tax token's removal does not revert; for other tokens it is `removeLiquidityETH`.
 *
 * @example
 * const { liquidity } = await removeLiquidity(ctx, { wallet: creator, token, percent: 90 })
 */
export async function removeLiquidity(ctx: ActionContext, p: RemoveLiquidityParameters): Promise<RemoveLiquidityReturnType> {
  const { wallet, token } = p
  const { pair, liquidity } = await lpShare(ctx, p, 'removeLiquidity')
  const approvals = await approveRouter(ctx, wallet, pair)
  ctx.signal?.throwIfAborted()
  const hash = await wallet.client.writeContract({
    address: ctx.deployment.router,
    abi: coreMemeRouterAbi,
    functionName: 'removeLiquidityETHSupportingFeeOnTransferTokens',
    args: [token, liquidity, 0n, 0n, wallet.address, maxUint256],
    gas: GAS.removeLiquidity,
  })
  await confirm(ctx, wallet, hash, `removeLiquidity ${token}`)
  return { txHashes: [...approvals, hash], liquidity }
}

/**
 * Burns `percent` of the wallet's LP tokens: a plain transfer to `0x…dEaD`, so that liquidity can
 * never be pulled.
 *
 * @example
 * await burnLp(ctx, { wallet: creator, token, percent: 100 })
 */
export async function burnLp(ctx: ActionContext, p: BurnLpParameters): Promise<BurnLpReturnType> {
  const { pair, liquidity } = await lpShare(ctx, p, 'burnLp')
  ctx.signal?.throwIfAborted()
  const hash = await p.wallet.client.writeContract({ address: pair, abi: memeTokenAbi, functionName: 'transfer', args: [DEAD_ADDRESS, liquidity], gas: GAS.transfer })
  await confirm(ctx, p.wallet, hash, `burnLp ${p.token}`)
  return { txHashes: [hash], liquidity }
}
