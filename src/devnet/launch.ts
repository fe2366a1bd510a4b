import { encodeFunctionData, getAddress, maxUint256, parseEventLogs, type Address, type Hash, type TransactionReceipt } from 'viem'
import { coreMemeRouterAbi, honeypotTokenAbi, memeTokenAbi, taxTokenAbi, tokenLauncherAbi } from './abis.js'
import { confirm, DevnetTxError, GAS, pairOf, type ActionContext } from './actionContext.js'
import { getBytecode } from './artifacts.js'
import { confirmAll, receiptsOf, sendBackToBack, signBatches, type Call } from './calls.js'
import type { DevnetWallet } from './client.js'
import { bundleCall, buyCall, swapsIn, type SwapAmounts } from './trade.js'
import { transferCall, type Payment } from './transfer.js'

/** `meme`: a plain ERC-20. `tax`: takes a buy and a sell tax on its pair. `honeypot`: only the creator can sell. */
export type TokenKind = 'meme' | 'tax' | 'honeypot'

/** The kind of token; a tax token names its taxes in basis points (500 = 5 %). */
export type TokenKindParameters =
  | { kind?: 'meme' | 'honeypot'; buyTaxBps?: never; sellTaxBps?: never }
  | { kind: 'tax'; buyTaxBps: number; sellTaxBps: number }

/** A sniper's buy, sent with the launch. */
export type SnipeParameters = { wallet: DevnetWallet; amountCore: bigint }
/** The creator's `bundler.buyFor`, sent right behind the liquidity: `amountCore` split between `recipients`. */
export type LaunchBundleParameters = { recipients: readonly Address[]; amountCore: bigint }

export type LaunchTokenParameters = {
  wallet: DevnetWallet
  name: string
  symbol: string
  supply: bigint
  liquidityCore: bigint
  liquidityTokens: bigint
  /** Plain transfers from the creator, sent after the token exists and before liquidity is added. */
  insiders?: readonly Payment[]
  /**
   * Buys by other wallets sent right behind `addLiquidityETH`, signed with the same fees: under
   * interval mining they land in its block, after it (under automine, in the next blocks).
   */
  snipes?: readonly SnipeParameters[]
  /** Buys by other wallets sent as soon as the liquidity's block is mined: the next block. */
  lateSnipes?: readonly SnipeParameters[]
  /** The creator's `Bundler` transaction, sent the same way (nonce + 1), before the snipes. */
  bundle?: LaunchBundleParameters
} & TokenKindParameters

/** A trade sent with the launch: where it was mined, whether it reverted, the pair's swaps in it. */
export type LaunchTrade = { hash: Hash; blockNumber: bigint; status: 'success' | 'reverted'; swaps: SwapAmounts[] }

export type LaunchTokenReturnType = {
  token: Address
  pair: Address
  kind: TokenKind
  /** The token's creation, the insider transfers, the router approval, `addLiquidityETH` last. */
  txHashes: Hash[]
  /** The block of `addLiquidityETH`: the first liquidity. */
  liquidityBlock: bigint
  /** The snipes, in the order given (a reverted one does not fail the launch). */
  snipes: LaunchTrade[]
  lateSnipes: LaunchTrade[]
  bundle: LaunchTrade | null
}

type Created = { token: Address; hash: Hash }

/** `launcher.createToken`, `createTaxToken` or `createHoneypotToken`; reads the token from `TokenCreated`. */
async function createThroughLauncher(ctx: ActionContext, p: LaunchTokenParameters): Promise<Created> {
  const { wallet, name, symbol, supply } = p
  const base = { address: ctx.deployment.launcher, abi: tokenLauncherAbi, gas: GAS.createToken } as const
  ctx.signal?.throwIfAborted()
  const hash =
    p.kind === 'tax'
      ? await wallet.client.writeContract({ ...base, functionName: 'createTaxToken', args: [name, symbol, supply, p.buyTaxBps, p.sellTaxBps] })
      : p.kind === 'honeypot'
        ? await wallet.client.writeContract({ ...base, functionName: 'createHoneypotToken', args: [name, symbol, supply] })
        : await wallet.client.writeContract({ ...base, functionName: 'createToken', args: [name, symbol, supply] })
  const receipt = await confirm(ctx, wallet, hash, `createToken ${symbol}`)
  const [created] = parseEventLogs({ abi: tokenLauncherAbi, eventName: 'TokenCreated', logs: receipt.logs })
  if (!created) throw new Error(`createToken ${symbol}: no TokenCreated log`)
  return { token: getAddress(created.args.token), hash }
}

/** Deploys the token contract itself (no launcher, so no `TokenCreated`). */
async function deployDirectly(ctx: ActionContext, p: LaunchTokenParameters): Promise<Created> {
  const { wallet, name, symbol, supply } = p
  const { factory, wcore } = ctx.deployment
  const owner = wallet.address
  ctx.signal?.throwIfAborted()
  const hash =
    p.kind === 'tax'
      ? await wallet.client.deployContract({ abi: taxTokenAbi, bytecode: getBytecode('TaxToken'), args: [name, symbol, supply, owner, factory, wcore, p.buyTaxBps, p.sellTaxBps], gas: GAS.createToken })
      : p.kind === 'honeypot'
        ? await wallet.client.deployContract({ abi: honeypotTokenAbi, bytecode: getBytecode('HoneypotToken'), args: [name, symbol, supply, owner, factory, wcore], gas: GAS.createToken })
        : await wallet.client.deployContract({ abi: memeTokenAbi, bytecode: getBytecode('MemeToken'), args: [name, symbol, supply, owner], gas: GAS.createToken })
  const receipt = await confirm(ctx, wallet, hash, `deploy ${symbol}`)
  if (!receipt.contractAddress) throw new Error(`deploy ${symbol}: no contract address`)
  return { token: getAddress(receipt.contractAddress), hash }
}

/** The insider transfers and the router approval, sent back to back (one block under interval mining). */
async function distribute(ctx: ActionContext, p: LaunchTokenParameters, token: Address): Promise<Hash[]> {
  const { wallet } = p
  const approve = encodeFunctionData({ abi: memeTokenAbi, functionName: 'approve', args: [ctx.deployment.router, maxUint256] })
  const calls = [...(p.insiders ?? []).map((payment) => transferCall(wallet, token, payment)), { wallet, to: token, data: approve, gas: GAS.approve, label: `approve ${token}` }]
  const hashes = await sendBackToBack(ctx, calls)
  await confirmAll(ctx, calls, hashes)
  ctx.approved.add(`${wallet.address}:${token}`)
  return hashes
}

/** `router.addLiquidityETH` (which creates the pair), then the bundle and the snipes, back to back. */
function launchBlockCalls(ctx: ActionContext, p: LaunchTokenParameters, token: Address): Call[] {
  const { wallet, symbol, liquidityCore, liquidityTokens } = p
  const data = encodeFunctionData({ abi: coreMemeRouterAbi, functionName: 'addLiquidityETH', args: [token, liquidityTokens, 0n, 0n, wallet.address, maxUint256] })
  const add: Call = { wallet, to: ctx.deployment.router, data, value: liquidityCore, gas: GAS.addLiquidityNewPair, label: `addLiquidityETH ${symbol}` }
  const bundle = p.bundle ? [bundleCall(ctx, wallet, token, p.bundle.recipients, p.bundle.amountCore)] : []
  return [add, ...bundle, ...(p.snipes ?? []).map((s) => buyCall(ctx, s.wallet, token, s.amountCore))]
}

function launchTrade(receipt: TransactionReceipt, pair: Address): LaunchTrade {
  return { hash: receipt.transactionHash, blockNumber: receipt.blockNumber, status: receipt.status, swaps: swapsIn(receipt, pair) }
}

/**
 * Insider transfers and approval; then the liquidity with what goes in its block, and the late
 * snipes as soon as that block is seen (signed ahead, so nothing slows them down).
 */
async function distributeAndAddLiquidity(ctx: ActionContext, p: LaunchTokenParameters, created: Created): Promise<LaunchTokenReturnType> {
  const { token } = created
  const distributed = await distribute(ctx, p, token)
  const calls = launchBlockCalls(ctx, p, token)
  const lateCalls = (p.lateSnipes ?? []).map((s) => buyCall(ctx, s.wallet, token, s.amountCore))
  const [launchBlock, nextBlock] = await signBatches(ctx, [calls, lateCalls])
  const [added, ...trades] = await receiptsOf(ctx, await launchBlock!.send())
  if (added!.status !== 'success') throw new DevnetTxError(calls[0]!.label, added!.transactionHash)
  const late = await receiptsOf(ctx, await nextBlock!.send())
  const pair = await pairOf(ctx, token)
  const bundle = p.bundle ? launchTrade(trades.shift()!, pair) : null
  return {
    token,
    pair,
    kind: p.kind ?? 'meme',
    txHashes: [created.hash, ...distributed, added!.transactionHash],
    liquidityBlock: added!.blockNumber,
    snipes: trades.map((r) => launchTrade(r, pair)),
    lateSnipes: late.map((r) => launchTrade(r, pair)),
    bundle,
  }
}

/** Refuses, before anything is sent, a bundle the deployment cannot make. */
function checkLaunch(ctx: ActionContext, p: LaunchTokenParameters): void {
  if (p.bundle && !ctx.deployment.bundler) throw new Error(`launch ${p.symbol}: a bundle needs a deployment with a bundler`)
}

/**
 * Launches a token through the launcher (`TokenCreated`) in one block; hands the insiders their
 * share and approves the router in the next; then adds liquidity with `router.addLiquidityETH`
 * (which creates the pair), the bundle and the snipes right behind it; the late snipes go out once
 * that block is mined. The creator keeps the LP tokens. Under interval mining: creation, then
 * distribution, then the launch block, then the late snipes' block.
 *
 * @example
 * const { token, pair } = await launchToken(ctx, { wallet, name: 'Tax Frog', symbol: 'TFROG', supply: parseEther('1000000'), liquidityCore: parseEther('100'), liquidityTokens: parseEther('500000'), kind: 'tax', buyTaxBps: 500, sellTaxBps: 1000 })
 * const { bundle } = await launchToken(ctx, { wallet, name: 'Bundle Cat', symbol: 'BCAT', …, bundle: { recipients: [a, b, c], amountCore: parseEther('3') } })
 */
export async function launchToken(ctx: ActionContext, p: LaunchTokenParameters): Promise<LaunchTokenReturnType> {
  checkLaunch(ctx, p)
  return distributeAndAddLiquidity(ctx, p, await createThroughLauncher(ctx, p))
}

/**
 * Like {@link launchToken}, but the creator deploys the token contract itself: no `TokenCreated`,
 * so an indexer first meets the token at `PairCreated` and must read its earlier history (the
 * mint to the creator, the insider transfers). The simulator never does this; it is for tests.
 *
 * @example
 * const { token } = await launchDirect(ctx, { wallet, name: 'Stealth Cat', symbol: 'SCAT', supply: parseEther('1000000'), liquidityCore: parseEther('50'), liquidityTokens: parseEther('600000'), insiders: [{ address: friend, amount: parseEther('50000') }] })
 */
export async function launchDirect(ctx: ActionContext, p: LaunchTokenParameters): Promise<LaunchTokenReturnType> {
  checkLaunch(ctx, p)
  return distributeAndAddLiquidity(ctx, p, await deployDirectly(ctx, p))
}
