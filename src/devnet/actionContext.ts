import { getAddress, maxUint256, zeroAddress, type Address, type Hash, type TransactionReceipt } from 'viem'
import { coreMemeFactoryAbi, memeTokenAbi } from './abis.js'
import { createDevnetPublicClient, type DevnetPublicClient, type DevnetWallet } from './client.js'
import type { Deployment } from './deploy.js'

/**
 * Gas limits, set explicitly: no estimate round trip, and a transaction that would revert is still
 * mined (as reverted), as it would be on a real chain. Measured use is a third to a half of each;
 * a bundle pays `bundleBase` plus `bundlePerRecipient` for each buyer.
 */
export const GAS = {
  createToken: 2_000_000n,
  addLiquidityNewPair: 3_500_000n,
  approve: 100_000n,
  transfer: 100_000n,
  swap: 300_000n,
  removeLiquidity: 400_000n,
  bundleBase: 100_000n,
  bundlePerRecipient: 250_000n,
} as const

/** Where burned LP tokens go: the conventional dead address (the zero address counts as burned too). */
export const DEAD_ADDRESS: Address = '0x000000000000000000000000000000000000dEaD'

/** What every action needs: the node's URL and a reader, the deployment, the abort signal and two caches. */
export type ActionContext = {
  rpcUrl: string
  reader: DevnetPublicClient
  deployment: Deployment
  signal?: AbortSignal
  /** token → its token/WCORE pair, once known. */
  pairs: Map<Address, Address>
  /** `wallet:token` pairs that have approved the router. */
  approved: Set<string>
}

/**
 * The shared state of the devnet's actions.
 *
 * @example
 * const ctx = createActionContext({ rpcUrl: anvil.rpcUrl, deployment })
 * await pairOf(ctx, token)
 */
export function createActionContext({ rpcUrl, deployment, signal }: { rpcUrl: string; deployment: Deployment; signal?: AbortSignal }): ActionContext {
  return { rpcUrl, reader: createDevnetPublicClient({ rpcUrl, chainId: deployment.chainId }), deployment, signal, pairs: new Map(), approved: new Set() }
}

/** A transaction that was mined but reverted. */
export class DevnetTxError extends Error {
  override name = 'DevnetTxError'
  readonly code = 'devnet_tx_reverted'
  constructor(
    readonly label: string,
    readonly hash: Hash,
  ) {
    super(`${label} reverted (${hash})`)
  }
}

/**
 * `percent` (0–100, two decimals kept) of `amount`.
 *
 * @example
 * percentOf(1000n, 12.5) // 125n
 */
export function percentOf(amount: bigint, percent: number): bigint {
  return (amount * BigInt(Math.round(Math.min(Math.max(percent, 0), 100) * 100))) / 10_000n
}

/**
 * Waits for a receipt; throws a {@link DevnetTxError} if the transaction reverted.
 *
 * @example
 * const receipt = await confirm(ctx, wallet, hash, 'buy FROG')
 */
export async function confirm(ctx: ActionContext, wallet: DevnetWallet, hash: Hash, label: string): Promise<TransactionReceipt> {
  const receipt = await wallet.client.waitForTransactionReceipt({ hash, signal: ctx.signal })
  if (receipt.status !== 'success') throw new DevnetTxError(label, hash)
  return receipt
}

/**
 * The token/WCORE pair (cached once found); throws when there is none yet.
 *
 * @example
 * const pair = await pairOf(ctx, token)
 */
export async function pairOf(ctx: ActionContext, token: Address): Promise<Address> {
  const known = ctx.pairs.get(token)
  if (known) return known
  const { factory, wcore } = ctx.deployment
  const pair = await ctx.reader.readContract({ address: factory, abi: coreMemeFactoryAbi, functionName: 'getPair', args: [token, wcore] })
  if (pair === zeroAddress) throw new Error(`no ${token}/WCORE pair`)
  ctx.pairs.set(token, getAddress(pair))
  return getAddress(pair)
}

/**
 * A wallet's balance of an ERC-20 (a token or a pair's LP token).
 *
 * @example
 * await balanceOf(ctx, pair, creator.address) // its LP tokens
 */
export function balanceOf(ctx: ActionContext, token: Address, owner: Address): Promise<bigint> {
  return ctx.reader.readContract({ address: token, abi: memeTokenAbi, functionName: 'balanceOf', args: [owner] })
}

/**
 * Approves the router for `token` (an ERC-20 or an LP token) once per wallet; returns the hash if it sent one.
 *
 * @example
 * const approvals = await approveRouter(ctx, wallet, token) // [] the second time
 */
export async function approveRouter(ctx: ActionContext, wallet: DevnetWallet, token: Address): Promise<Hash[]> {
  const key = `${wallet.address}:${token}`
  if (ctx.approved.has(key)) return []
  ctx.signal?.throwIfAborted()
  const hash = await wallet.client.writeContract({ address: token, abi: memeTokenAbi, functionName: 'approve', args: [ctx.deployment.router, maxUint256], gas: GAS.approve })
  await confirm(ctx, wallet, hash, `approve ${token}`)
  ctx.approved.add(key)
  return [hash]
}
