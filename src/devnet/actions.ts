import { getAddress, maxUint256, parseEventLogs, zeroAddress, type Address, type Hash, type TransactionReceipt } from 'viem'
import { coreMemeFactoryAbi, coreMemePairAbi, coreMemeRouterAbi, memeTokenAbi, tokenLauncherAbi } from './abis.js'
import { createDevnetPublicClient, type DevnetWallet } from './client.js'
import type { Deployment } from './deploy.js'

/**
 * Gas limits, set explicitly: no estimate round trip, and a transaction that would revert is still
 * mined (as reverted), as it would be on a real chain. Measured use is a third to a half of each.
 */
const GAS = { createToken: 1_500_000n, addLiquidityNewPair: 3_500_000n, approve: 100_000n, swap: 300_000n, removeLiquidity: 400_000n } as const

/** `percent` (0–100, two decimals kept) of `amount`. */
function percentOf(amount: bigint, percent: number): bigint {
  return (amount * BigInt(Math.round(Math.min(Math.max(percent, 0), 100) * 100))) / 10_000n
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

export type LaunchTokenParameters = { wallet: DevnetWallet; name: string; symbol: string; supply: bigint; liquidityCore: bigint; liquidityTokens: bigint }
export type LaunchTokenReturnType = { token: Address; pair: Address; txHashes: Hash[] }
export type BuyParameters = { wallet: DevnetWallet; token: Address; amountCore: bigint }
/** Sells `amountTokens`, or `percent` (0–100) of the wallet's balance read just before sending. */
export type SellParameters = { wallet: DevnetWallet; token: Address } & ({ amountTokens: bigint; percent?: never } | { percent: number; amountTokens?: never })
/** What a swap moved: `amountIn` of what was paid, `amountOut` of what was received (wei units). */
export type TradeReturnType = { txHashes: Hash[]; amountIn: bigint; amountOut: bigint }
export type RemoveLiquidityParameters = { wallet: DevnetWallet; token: Address; percent: number }
export type RemoveLiquidityReturnType = { txHashes: Hash[]; liquidity: bigint }

/** The simulated market moves, shared by the simulator loop and the tests. Each waits for its receipts. */
export type DevnetActions = {
  /** `launcher.createToken`, then `router.addLiquidityETH` (which creates the pair). */
  launchToken(parameters: LaunchTokenParameters): Promise<LaunchTokenReturnType>
  /** `router.swapExactETHForTokens` with `amountCore` of native CORE. */
  buy(parameters: BuyParameters): Promise<TradeReturnType>
  /** `router.swapExactTokensForETH` of an amount or a percentage of the balance (approves the router once per wallet and token). */
  sell(parameters: SellParameters): Promise<TradeReturnType>
  /** `router.removeLiquidityETH` of `percent` (0–100) of the wallet's LP tokens. */
  removeLiquidity(parameters: RemoveLiquidityParameters): Promise<RemoveLiquidityReturnType>
  /** The token/WCORE pair. */
  pairOf(token: Address): Promise<Address>
  /** A wallet's balance of an ERC-20 (the token or a pair's LP token). */
  balanceOf(token: Address, owner: Address): Promise<bigint>
}

export type CreateActionsParameters = { rpcUrl: string; deployment: Deployment; signal?: AbortSignal }

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
  const reader = createDevnetPublicClient({ rpcUrl, chainId: deployment.chainId })
  const { router, wcore } = deployment
  const pairs = new Map<Address, Address>()
  const approved = new Set<string>()
  const queues = new Map<Address, Promise<unknown>>()

  /** Runs `fn` after every earlier call for the same wallet has settled. */
  function serial<T>(wallet: DevnetWallet, fn: () => Promise<T>): Promise<T> {
    const run = (queues.get(wallet.address) ?? Promise.resolve()).then(fn)
    queues.set(wallet.address, run.catch(() => undefined))
    return run
  }

  async function confirm(wallet: DevnetWallet, hash: Hash, label: string): Promise<TransactionReceipt> {
    const receipt = await wallet.client.waitForTransactionReceipt({ hash, signal })
    if (receipt.status !== 'success') throw new DevnetTxError(label, hash)
    return receipt
  }

  async function pairOf(token: Address): Promise<Address> {
    const known = pairs.get(token)
    if (known) return known
    const pair = await reader.readContract({ address: deployment.factory, abi: coreMemeFactoryAbi, functionName: 'getPair', args: [token, wcore] })
    if (pair === zeroAddress) throw new Error(`no ${token}/WCORE pair`)
    pairs.set(token, getAddress(pair))
    return getAddress(pair)
  }

  function balanceOf(token: Address, owner: Address): Promise<bigint> {
    return reader.readContract({ address: token, abi: memeTokenAbi, functionName: 'balanceOf', args: [owner] })
  }

  /** Approves the router for `token` (an ERC-20 or an LP token) once per wallet; returns the hash if it sent one. */
  async function approveRouter(wallet: DevnetWallet, token: Address): Promise<Hash[]> {
    const key = `${wallet.address}:${token}`
    if (approved.has(key)) return []
    signal?.throwIfAborted()
    const hash = await wallet.client.writeContract({ address: token, abi: memeTokenAbi, functionName: 'approve', args: [router, maxUint256], gas: GAS.approve })
    await confirm(wallet, hash, `approve ${token}`)
    approved.add(key)
    return [hash]
  }

  async function launchToken({ wallet, name, symbol, supply, liquidityCore, liquidityTokens }: LaunchTokenParameters): Promise<LaunchTokenReturnType> {
    signal?.throwIfAborted()
    const create = await wallet.client.writeContract({
      address: deployment.launcher,
      abi: tokenLauncherAbi,
      functionName: 'createToken',
      args: [name, symbol, supply],
      gas: GAS.createToken,
    })
    const receipt = await confirm(wallet, create, `createToken ${symbol}`)
    const [created] = parseEventLogs({ abi: tokenLauncherAbi, eventName: 'TokenCreated', logs: receipt.logs })
    if (!created) throw new Error(`createToken ${symbol}: no TokenCreated log`)
    const token = getAddress(created.args.token)
    const approvals = await approveRouter(wallet, token)
    signal?.throwIfAborted()
    const add = await wallet.client.writeContract({
      address: router,
      abi: coreMemeRouterAbi,
      functionName: 'addLiquidityETH',
      args: [token, liquidityTokens, 0n, 0n, wallet.address, maxUint256],
      value: liquidityCore,
      gas: GAS.addLiquidityNewPair,
    })
    await confirm(wallet, add, `addLiquidityETH ${symbol}`)
    return { token, pair: await pairOf(token), txHashes: [create, ...approvals, add] }
  }

  /** Reads the pair's `Swap` in a receipt as amounts in and out. */
  function swapAmounts(receipt: TransactionReceipt, pair: Address): { amountIn: bigint; amountOut: bigint } {
    const swaps = parseEventLogs({ abi: coreMemePairAbi, eventName: 'Swap', logs: receipt.logs }).filter((l) => getAddress(l.address) === pair)
    const s = swaps[0]?.args
    if (!s) return { amountIn: 0n, amountOut: 0n }
    return { amountIn: s.amount0In + s.amount1In, amountOut: s.amount0Out + s.amount1Out }
  }

  async function buy({ wallet, token, amountCore }: BuyParameters): Promise<TradeReturnType> {
    const pair = await pairOf(token)
    signal?.throwIfAborted()
    const hash = await wallet.client.writeContract({
      address: router,
      abi: coreMemeRouterAbi,
      functionName: 'swapExactETHForTokens',
      args: [0n, [wcore, token], wallet.address, maxUint256],
      value: amountCore,
      gas: GAS.swap,
    })
    const receipt = await confirm(wallet, hash, `buy ${token}`)
    return { txHashes: [hash], ...swapAmounts(receipt, pair) }
  }

  async function sell({ wallet, token, ...amount }: SellParameters): Promise<TradeReturnType> {
    const pair = await pairOf(token)
    const amountTokens = amount.amountTokens ?? percentOf(await balanceOf(token, wallet.address), amount.percent)
    if (amountTokens === 0n) throw new Error(`sell: ${wallet.address} holds no ${token}`)
    const approvals = await approveRouter(wallet, token)
    signal?.throwIfAborted()
    const hash = await wallet.client.writeContract({
      address: router,
      abi: coreMemeRouterAbi,
      functionName: 'swapExactTokensForETH',
      args: [amountTokens, 0n, [token, wcore], wallet.address, maxUint256],
      gas: GAS.swap,
    })
    const receipt = await confirm(wallet, hash, `sell ${token}`)
    return { txHashes: [...approvals, hash], ...swapAmounts(receipt, pair) }
  }

  async function removeLiquidity({ wallet, token, percent }: RemoveLiquidityParameters): Promise<RemoveLiquidityReturnType> {
    const pair = await pairOf(token)
    const lp = await balanceOf(pair, wallet.address)
    const liquidity = percentOf(lp, percent)
    if (liquidity === 0n) throw new Error(`removeLiquidity: ${wallet.address} has no LP tokens of ${pair}`)
    const approvals = await approveRouter(wallet, pair)
    signal?.throwIfAborted()
    const hash = await wallet.client.writeContract({
      address: router,
      abi: coreMemeRouterAbi,
      functionName: 'removeLiquidityETH',
      args: [token, liquidity, 0n, 0n, wallet.address, maxUint256],
      gas: GAS.removeLiquidity,
    })
    await confirm(wallet, hash, `removeLiquidity ${token}`)
    return { txHashes: [...approvals, hash], liquidity }
  }

  return {
    launchToken: (p) => serial(p.wallet, () => launchToken(p)),
    buy: (p) => serial(p.wallet, () => buy(p)),
    sell: (p) => serial(p.wallet, () => sell(p)),
    removeLiquidity: (p) => serial(p.wallet, () => removeLiquidity(p)),
    pairOf,
    balanceOf,
  }
}
