import { encodeFunctionData, type Address, type Hash } from 'viem'
import { memeTokenAbi } from './abis.js'
import { GAS, type ActionContext } from './actionContext.js'
import { confirmAll, sendBackToBack, type Call } from './calls.js'
import type { DevnetWallet } from './client.js'

export type TransferParameters = { wallet: DevnetWallet; token: Address; to: Address; amount: bigint }
export type TransferReturnType = { txHashes: Hash[] }
/** A plain ERC-20 transfer of `amount` (wei units) to `address`. */
export type Payment = { address: Address; amount: bigint }

/**
 * An ERC-20 `transfer` (a token or a pair's LP token) from `wallet`, as a {@link Call}.
 *
 * @example
 * await sendBackToBack(ctx, [transferCall(creator, token, { address: friend, amount: 10n })])
 */
export function transferCall(wallet: DevnetWallet, token: Address, { address, amount }: Payment): Call {
  const data = encodeFunctionData({ abi: memeTokenAbi, functionName: 'transfer', args: [address, amount] })
  return { wallet, to: token, data, gas: GAS.transfer, label: `transfer ${token} to ${address}` }
}

/**
 * A plain ERC-20 `transfer` (a token or an LP token), waited for.
 *
 * @example
 * await transfer(ctx, { wallet: creator, token, to: friend.address, amount: parseEther('1000') })
 */
export async function transfer(ctx: ActionContext, { wallet, token, to, amount }: TransferParameters): Promise<TransferReturnType> {
  return { txHashes: await sendTransfers(ctx, wallet, token, [{ address: to, amount }]) }
}

/**
 * Sends several transfers of `token` from `wallet` back to back (one block under interval mining),
 * then waits for every receipt; throws if one reverted. The wallet must have nothing else pending.
 *
 * @example
 * await sendTransfers(ctx, creator, token, [{ address: a, amount: 10n }, { address: b, amount: 20n }])
 */
export async function sendTransfers(ctx: ActionContext, wallet: DevnetWallet, token: Address, payments: readonly Payment[]): Promise<Hash[]> {
  const calls = payments.map((p) => transferCall(wallet, token, p))
  const hashes = await sendBackToBack(ctx, calls)
  await confirmAll(ctx, calls, hashes)
  return hashes
}
