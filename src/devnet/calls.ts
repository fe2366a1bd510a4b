import { createTestClient, http, type Address, type Hash, type Hex, type TransactionReceipt } from 'viem'
import { DevnetTxError, type ActionContext } from './actionContext.js'
import type { DevnetWallet } from './client.js'

/** One transaction to send: encoded call data, an explicit gas limit, a label for errors and logs. */
export type Call = { wallet: DevnetWallet; to: Address; data: Hex; value?: bigint; gas: bigint; label: string }

/**
 * Sends one call (no gas estimate: a call that would revert is mined as reverted) and returns its hash.
 *
 * @example
 * const hash = await sendCall(ctx, buyCall(ctx, wallet, token, parseEther('1')))
 */
export async function sendCall(ctx: ActionContext, { wallet, to, data, value, gas }: Call): Promise<Hash> {
  ctx.signal?.throwIfAborted()
  return wallet.client.sendTransaction({ to, data, value, gas })
}

/** Calls signed ahead, ready to go out the moment they are wanted. */
export type SignedBatch = { send(): Promise<Hash[]> }

/**
 * Signs each call; each pays one wei less (max fee and tip) than the one before in its batch.
 * Anvil runs ready transactions by max fee, highest first: a batch runs in the order given,
 * whatever order it reaches the node in.
 */
async function signInOrder(ctx: ActionContext, batches: readonly (readonly Call[])[]): Promise<Hex[][]> {
  const { maxFeePerGas, maxPriorityFeePerGas } = await ctx.reader.estimateFeesPerGas()
  const nonces = new Map<Address, number>()
  for (const { wallet } of batches.flat()) {
    if (!nonces.has(wallet.address)) nonces.set(wallet.address, await ctx.reader.getTransactionCount({ address: wallet.address, blockTag: 'pending' }))
  }
  const signed: Hex[][] = []
  for (const calls of batches) {
    const batch: Hex[] = []
    for (const [i, { wallet, to, data, value, gas }] of calls.entries()) {
      const nonce = nonces.get(wallet.address)!
      nonces.set(wallet.address, nonce + 1)
      const step = BigInt(calls.length - 1 - i)
      const fees = { maxFeePerGas: maxFeePerGas + step, maxPriorityFeePerGas: maxPriorityFeePerGas + step }
      batch.push(await wallet.client.account.signTransaction({ type: 'eip1559', chainId: ctx.deployment.chainId, to, data, value, gas, nonce, ...fees }))
    }
    signed.push(batch)
  }
  return signed
}

/** `eth_sendRawTransaction` of every transaction in one JSON-RPC batch: they reach the pool together. */
async function sendRawBatch(ctx: ActionContext, signed: readonly Hex[]): Promise<Hash[]> {
  if (signed.length === 0) return []
  ctx.signal?.throwIfAborted()
  const body = signed.map((tx, id) => ({ jsonrpc: '2.0', id, method: 'eth_sendRawTransaction', params: [tx] }))
  // Its own signal, linked to the long-lived one only while it runs: fetch keeps a listener on the
  // signal it is given until the request is collected (~30 a minute piled up on the simulator's).
  const request = new AbortController()
  const abort = () => request.abort(ctx.signal?.reason)
  ctx.signal?.addEventListener('abort', abort, { once: true })
  let replies: { id: number; result?: Hash; error?: { message: string } }[]
  try {
    const res = await fetch(ctx.rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: request.signal })
    if (!res.ok) throw new Error(`eth_sendRawTransaction batch: HTTP ${res.status}`)
    replies = (await res.json()) as typeof replies
  } finally {
    ctx.signal?.removeEventListener('abort', abort)
  }
  const hashes: Hash[] = []
  for (const r of replies) {
    if (r.error || !r.result) throw new Error(`eth_sendRawTransaction: ${r.error?.message ?? 'no result'}`)
    hashes[r.id] = r.result
  }
  return hashes
}

/** One after another, each waiting for the node's answer: under automine, each mined before the next arrives. */
async function sendRawInTurn(ctx: ActionContext, signed: readonly Hex[]): Promise<Hash[]> {
  const hashes: Hash[] = []
  for (const serializedTransaction of signed) {
    ctx.signal?.throwIfAborted()
    hashes.push(await ctx.reader.sendRawTransaction({ serializedTransaction }))
  }
  return hashes
}

/**
 * Signs every batch of calls now (nonces follow on across batches), to send each later with no
 * round trip before it goes out. Each batch runs in the order given and, under interval mining,
 * lands in one block: it goes in one JSON-RPC batch (it reaches the pool at once, a block boundary
 * cannot fall inside it), ordered by fees. Under automine, where each transaction is mined as it
 * arrives, they go one after another instead (one block each, in this order). The wallets must
 * have nothing else in flight until every batch is sent.
 *
 * @example
 * const [launchBlock, nextBlock] = await signBatches(ctx, [[addCall, bundleCall], lateSnipeCalls])
 * await receiptsOf(ctx, await launchBlock!.send())
 * await nextBlock!.send() // the block after
 */
export async function signBatches(ctx: ActionContext, batches: readonly (readonly Call[])[]): Promise<SignedBatch[]> {
  ctx.signal?.throwIfAborted()
  const signed = await signInOrder(ctx, batches)
  const automine = await createTestClient({ mode: 'anvil', transport: http(ctx.rpcUrl) }).getAutomine()
  return signed.map((batch) => ({ send: () => (automine ? sendRawInTurn(ctx, batch) : sendRawBatch(ctx, batch)) }))
}

/**
 * Signs the calls, then sends them as one batch (see {@link signBatches}): in this order, in one
 * block under interval mining.
 *
 * @example
 * const [add, bundle] = await sendBackToBack(ctx, [addCall, bundleCall]) // the bundle right behind the liquidity
 */
export async function sendBackToBack(ctx: ActionContext, calls: readonly Call[]): Promise<Hash[]> {
  if (calls.length === 0) return []
  const [batch] = await signBatches(ctx, [calls])
  return batch!.send()
}

/**
 * Waits for every receipt, reverted or not.
 *
 * @example
 * const receipts = await receiptsOf(ctx, hashes)
 */
export function receiptsOf(ctx: ActionContext, hashes: readonly Hash[]): Promise<TransactionReceipt[]> {
  return Promise.all(hashes.map((hash) => ctx.reader.waitForTransactionReceipt({ hash, signal: ctx.signal })))
}

/**
 * Waits for every receipt; throws a {@link DevnetTxError} naming the first call that reverted.
 *
 * @example
 * await confirmAll(ctx, calls, await sendBackToBack(ctx, calls))
 */
export async function confirmAll(ctx: ActionContext, calls: readonly Call[], hashes: readonly Hash[]): Promise<TransactionReceipt[]> {
  const receipts = await receiptsOf(ctx, hashes)
  const failed = receipts.findIndex((r) => r.status !== 'success')
  if (failed >= 0) throw new DevnetTxError(calls[failed]!.label, hashes[failed]!)
  return receipts
}
