/**
 * A devnet with a day of history: anvil blocks spanning `hours` of block timestamps (one block every
 * `blockTimeSec`, ending near now), our contracts deployed in the first blocks, then token launches,
 * buys, sells and a few liquidity removals spread over the window, all decided by a seeded plan.
 * The chain is saved with `anvil_dumpState` and restored with `anvil --load-state`, blocks, receipts
 * and logs included, so cold and warm starts of the indexer can be measured against the same day.
 *
 * How it stays fast: the chain is mined by an anvil forked from an empty one (no state root per
 * block, see {@link startHistoryAnvils}); every transaction is signed locally and sent raw in one
 * JSON-RPC batch per block; automine is off and each busy block is one `evm_mine`, each run of empty
 * blocks one `anvil_mine`; `anvil_setBlockTimestampInterval` gives every block its timestamp.
 */
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { encodeFunctionData, getAddress, keccak256, maxUint256, parseEther, stringToHex, toEventSelector, toHex, type Address, type Hex } from 'viem'
import { privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts'
import { coreMemePairAbi, coreMemeRouterAbi, memeTokenAbi, tokenLauncherAbi } from './abis.js'
import { startAnvil, type Anvil, type StartAnvilParameters } from './anvil.js'
import { setBalances } from './client.js'
import { deployDevnet, readDeployment, writeDeployment, type Deployment } from './deploy.js'
import { createRandom, type Random } from './random.js'

// ─── Plan ────────────────────────────────────────────────────────────────────────────────────────

/** What the plan needs to know about the chain: the blocks it may use and the wallets it may pick. */
export type PlanHistoryParameters = {
  seed: number
  tokens: number
  swaps: number
  removals: number
  wallets: number
  /** First block the plan may use (the one after the deployment). */
  firstBlock: number
  /** Last block of the window. */
  lastBlock: number
}

/** A token launch: `createToken` in `createBlock`, then approve + `addLiquidityETH` in `liquidityBlock`. */
export type PlannedLaunch = {
  launch: number
  creator: number
  name: string
  symbol: string
  supply: bigint
  liquidityCore: bigint
  liquidityTokens: bigint
  createBlock: number
  liquidityBlock: number
  /** The block of the creator's liquidity removal, if the token is rugged. */
  removeBlock?: number
}

/** One planned step. Tokens are named by launch number, wallets by index. */
export type PlannedAction =
  | { kind: 'create'; launch: number }
  | { kind: 'addLiquidity'; launch: number }
  | { kind: 'buy'; launch: number; wallet: number; amountCore: bigint }
  /** Sells `percent` of the wallet's balance when the block is built; buys `fallbackCore` if that is nothing. */
  | { kind: 'sell'; launch: number; wallet: number; percent: number; fallbackCore: bigint }
  /** The creator removes `percent` of its LP tokens (approve + `removeLiquidityETH`). */
  | { kind: 'remove'; launch: number; percent: number }

export type HistoryPlan = {
  /** The first block the plan could use: the blocks before it hold the deployment (or nothing). */
  firstBlock: number
  launches: PlannedLaunch[]
  /** Busy blocks only, by number; each block's actions in the order they are sent. */
  blocks: Map<number, PlannedAction[]>
  /** Swaps (buys + sells) in the plan; fewer than asked only if the window was too full. */
  swaps: number
  removals: number
}

/**
 * Gas limits: set explicitly (nothing is estimated, every transaction of a block is sent before it is
 * mined). Measured use is a third to a half of each, as in `actions.ts`.
 */
const GAS = { createToken: 1_500_000n, approve: 100_000n, addLiquidityNewPair: 3_500_000n, swap: 300_000n, removeLiquidity: 400_000n } as const

/** anvil's default block gas limit; the plan never puts more gas limits than this into one block. */
const BLOCK_GAS_LIMIT = 30_000_000n

/** Gas budget of each planned action (a sell may need an approve first). */
const ACTION_GAS: Record<PlannedAction['kind'], bigint> = {
  create: GAS.createToken,
  addLiquidity: GAS.approve + GAS.addLiquidityNewPair,
  buy: GAS.swap,
  sell: GAS.approve + GAS.swap,
  remove: GAS.approve + GAS.removeLiquidity,
}

const ADJECTIVES = ['Turbo', 'Based', 'Moon', 'Giga', 'Tiny', 'Angry', 'Lucky', 'Sleepy', 'Degen', 'Golden', 'Pixel', 'Cosmic', 'Hyper', 'Baby', 'Mega', 'Super']
const NOUNS = ['Frog', 'Doge', 'Cat', 'Pepe', 'Shiba', 'Otter', 'Panda', 'Whale', 'Bull', 'Hamster', 'Corgi', 'Goose', 'Ape', 'Bear', 'Fox', 'Koala']
const SUPPLIES = [1_000_000, 100_000_000, 1_000_000_000, 1_000_000_000_000].map((n) => parseEther(String(n)))

/** `x` CORE (a float) in wei, 6 decimals kept. */
const core = (x: number): bigint => parseEther(x.toFixed(6))

/** A token's weight for trades: heavy-tailed popularity times the blocks it can be traded in. */
function tradeWeights(rng: Random, launches: PlannedLaunch[], lastOf: (l: PlannedLaunch) => number): number[] {
  return launches.map((l) => Math.exp(rng.between(0, 5)) * Math.max(0, lastOf(l) - l.liquidityBlock))
}

/** Index `i` with probability weights[i] / sum (cumulative weights, binary search). */
function weightedPicker(weights: number[]): (u: number) => number {
  const cumulative: number[] = []
  let sum = 0
  for (const w of weights) cumulative.push((sum += w))
  return (u) => {
    const target = u * sum
    let lo = 0
    let hi = cumulative.length - 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (cumulative[mid]! > target) hi = mid
      else lo = mid + 1
    }
    return lo
  }
}

/**
 * Plans a day of market activity, a pure function of its parameters: launches spread uniformly over the
 * window, swaps spread over each token's life (more of them early, more on popular tokens), sells only
 * by wallets that bought in an earlier block, removals after the token's last trade. Actions are put
 * in the first block at or after their desired one that still has gas room.
 *
 * @example
 * const plan = planHistory({ seed: 1, tokens: 5, swaps: 50, removals: 1, wallets: 20, firstBlock: 9, lastBlock: 2400 })
 * plan.blocks.get(plan.launches[0]!.createBlock) // [{ kind: 'create', launch: 0 }, …]
 */
export function planHistory(p: PlanHistoryParameters): HistoryPlan {
  if (p.wallets < 2) throw new Error('planHistory: at least 2 wallets')
  if (p.lastBlock - p.firstBlock < 4) throw new Error('planHistory: the window is too short')
  const rng = createRandom(p.seed)
  const blocks = new Map<number, PlannedAction[]>()
  const gasUsed = new Map<number, bigint>()

  /** Puts `action` in the first block ≥ `earliest` with room; returns the block, or undefined past the window. */
  function place(earliest: number, action: PlannedAction): number | undefined {
    const gas = ACTION_GAS[action.kind]
    let block = Math.max(earliest, p.firstBlock)
    while ((gasUsed.get(block) ?? 0n) + gas > BLOCK_GAS_LIMIT) block++
    if (block > p.lastBlock) return undefined
    gasUsed.set(block, (gasUsed.get(block) ?? 0n) + gas)
    const list = blocks.get(block)
    if (list) list.push(action)
    else blocks.set(block, [action])
    return block
  }

  // Launches: desired blocks uniform over the window (leaving room for the liquidity block and a trade).
  const launchSpan = p.lastBlock - 2 - p.firstBlock
  const desired = Array.from({ length: p.tokens }, () => p.firstBlock + Math.floor(rng.next() * launchSpan)).sort((a, b) => a - b)
  const launches: PlannedLaunch[] = []
  for (const [launch, want] of desired.entries()) {
    const adjective = rng.pick(ADJECTIVES)
    const noun = rng.pick(NOUNS)
    const supply = rng.pick(SUPPLIES)
    const createBlock = place(want, { kind: 'create', launch })
    if (createBlock === undefined) break
    const liquidityBlock = place(createBlock + 1, { kind: 'addLiquidity', launch })
    if (liquidityBlock === undefined) throw new Error('planHistory: no block left for a launch liquidity')
    launches.push({
      launch,
      creator: rng.int(0, p.wallets - 1),
      name: `${adjective} ${noun}`,
      symbol: `${adjective[0]}${noun}`.toUpperCase().slice(0, 8),
      supply,
      liquidityCore: core(rng.int(50, 500)),
      liquidityTokens: (supply * BigInt(rng.int(50, 90))) / 100n,
      createBlock,
      liquidityBlock,
    })
  }

  // Rugs: which tokens, and the block before which their trades are drawn.
  const rugDesired = new Map<number, number>()
  const rugCandidates = launches.filter((l) => p.lastBlock - l.liquidityBlock > 20)
  for (let i = 0; i < p.removals && rugCandidates.length > 0; i++) {
    const l = rugCandidates.splice(Math.floor(rng.next() * rugCandidates.length), 1)[0]!
    rugDesired.set(l.launch, l.liquidityBlock + 1 + Math.floor((p.lastBlock - l.liquidityBlock - 1) * rng.between(0.3, 0.9)))
  }
  const lastTradeBlockOf = (l: PlannedLaunch) => (rugDesired.get(l.launch) ?? p.lastBlock + 1) - 1

  // Trades: token by weight, block early in the token's tradable life (u² skews toward the launch).
  const pick = weightedPicker(tradeWeights(rng, launches, lastTradeBlockOf))
  const trades: { launch: PlannedLaunch; block: number }[] = []
  if (launches.length > 0) {
    for (let i = 0; i < p.swaps; i++) {
      const l = launches[pick(rng.next())]!
      const span = lastTradeBlockOf(l) - l.liquidityBlock
      if (span <= 0) continue
      trades.push({ launch: l, block: l.liquidityBlock + 1 + Math.floor(span * rng.next() ** 2) })
    }
  }
  trades.sort((a, b) => a.block - b.block)

  /** Holders of each token: wallet → block of the buy that opened its current position. */
  const holders = new Map<number, Map<number, number>>()
  const lastTrade = new Map<number, number>()
  let swaps = 0
  for (const { launch: l, block: want } of trades) {
    const held = holders.get(l.launch) ?? new Map<number, number>()
    holders.set(l.launch, held)
    const whale = rng.chance(0.02)
    const amountCore = (l.liquidityCore * BigInt(Math.round((whale ? rng.between(0.1, 0.3) : rng.between(0.002, 0.03)) * 1e6))) / 1_000_000n
    let placed: number | undefined
    if (held.size > 0 && rng.chance(0.45)) {
      const wallet = rng.pick([...held.keys()])
      const percent = rng.int(20, 100)
      placed = place(Math.max(want, held.get(wallet)! + 1), { kind: 'sell', launch: l.launch, wallet, percent, fallbackCore: amountCore })
      if (placed !== undefined && percent === 100) held.delete(wallet)
    } else {
      const other = rng.int(0, p.wallets - 2)
      const wallet = other >= l.creator ? other + 1 : other
      placed = place(want, { kind: 'buy', launch: l.launch, wallet, amountCore })
      if (placed !== undefined && !held.has(wallet)) held.set(wallet, placed)
    }
    if (placed === undefined) continue
    swaps++
    lastTrade.set(l.launch, Math.max(lastTrade.get(l.launch) ?? 0, placed))
  }

  let removals = 0
  for (const [launch, want] of rugDesired) {
    const l = launches[launch]!
    const block = place(Math.max(want, (lastTrade.get(launch) ?? l.liquidityBlock) + 1), { kind: 'remove', launch, percent: rng.int(80, 100) })
    if (block === undefined) continue
    l.removeBlock = block
    removals++
  }
  return { firstBlock: p.firstBlock, launches, blocks, swaps, removals }
}

// ─── JSON-RPC ────────────────────────────────────────────────────────────────────────────────────

type RpcResponse = { id: number; result?: unknown; error?: { code: number; message: string } }

/** A minimal JSON-RPC client over fetch (keep-alive), with batches. */
function rpcClient(url: string) {
  let id = 0
  async function post(body: unknown): Promise<unknown> {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${await res.text()}`)
    return res.json()
  }
  return {
    async call<T = unknown>(method: string, params: unknown[] = []): Promise<T> {
      const reply = (await post({ jsonrpc: '2.0', id: ++id, method, params })) as RpcResponse
      if (reply.error) throw new Error(`${method}: ${reply.error.message}`)
      return reply.result as T
    },
    /** Sends the calls as one batch; results in call order; throws on the first error. */
    async batch<T = unknown>(method: string, paramsList: unknown[][]): Promise<T[]> {
      if (paramsList.length === 0) return []
      const first = id + 1
      const replies = (await post(paramsList.map((params) => ({ jsonrpc: '2.0', id: ++id, method, params })))) as RpcResponse[]
      const out: T[] = new Array(paramsList.length)
      for (const r of replies) {
        if (r.error) throw new Error(`${method}: ${r.error.message}`)
        out[r.id - first] = r.result as T
      }
      return out
    },
  }
}

type RpcClient = ReturnType<typeof rpcClient>

// ─── Generation ──────────────────────────────────────────────────────────────────────────────────

/** Options of {@link generateHistory}. */
export type GenerateHistoryParameters = {
  /**
   * Same seed and sizes, same plan, transactions and logs after the deployment (with the same
   * `endTimestamp`, the same timestamps too; block hashes differ: anvil draws prevrandao). Default 1.
   */
  seed?: number
  /** Tokens launched (each one a pair with WCORE). Default 1,000. */
  tokens?: number
  /** Buys + sells over all tokens. Default 20,000. */
  swaps?: number
  /** Liquidity removals by token creators (no trades on those tokens afterwards). Default tokens / 100, rounded up. */
  removals?: number
  /** Length of the window of block timestamps. Default 24. */
  hours?: number
  /** Seconds between blocks (Core: 3). Default 3. */
  blockTimeSec?: number
  /** Trading wallets (keys derived from the seed). Default 200. */
  wallets?: number
  /** Unix seconds of the last block. Default: now. Ignored with `rpcUrl`. */
  endTimestamp?: number
  /** Directory to write `state.json` (for `anvil --load-state`), `deployment.json` and `history.json` to. */
  out?: string
  /**
   * An anvil of yours (automine, nothing deployed) instead of the ones started here: the window then
   * starts at its head and ends `hours` later. Slow on big histories: a plain anvil 1.7 rebuilds the
   * whole state trie for every block it mines (see {@link startHistoryAnvils}).
   */
  rpcUrl?: string
  /** Keep the generating chain running (returned as `running`, stop it yourself). Default false. */
  keepRunning?: boolean
  /** Called after every busy block. */
  onProgress?: (progress: { block: number; toBlock: number; transactions: number }) => void
}

/** What {@link generateHistory} did. Counts are of transactions that succeeded, except `reverted`. */
export type HistorySummary = {
  seed: number
  hours: number
  blockTimeSec: number
  deployment: Deployment
  /** The deployment's first block. */
  fromBlock: number
  /** The last block of the window (the head when generation ended). */
  toBlock: number
  /** Timestamp of block 0 (the loader starts anvil with it, so block 0 has the same hash). */
  genesisTimestamp: number
  fromTimestamp: number
  /** `toTimestamp - genesisTimestamp = hours × 3600` when this function started the chain. */
  toTimestamp: number
  /** Blocks with at least one transaction of the generator (deployment excluded). */
  busyBlocks: number
  /** Tokens launched, each with its pair (`PairCreated`); the deployment's WCORE/USDT pair is not counted. */
  launches: number
  /** `Swap` logs of the generator: buys + sells (the deployment makes none). */
  swaps: number
  buys: number
  sells: number
  /** Liquidity removals (`Burn` logs). */
  removals: number
  /** Transactions sent by the generator after the deployment (launch steps, approvals, swaps, removals). */
  transactions: number
  reverted: number
  /** Planned sells that found no balance and bought instead (counted in `buys`). */
  sellsAsBuys: number
  /** Planned actions not sent because their launch had failed (0 unless something reverted). */
  skipped: number
  /** Wall-clock seconds of the generation, anvil start to files written. */
  seconds: number
  stateFile?: string
  deploymentFile?: string
  stateBytes?: number
}

/** A chain that is running: its URLs and how to stop it (every anvil behind it). */
export type RunningChain = { rpcUrl: string; wsUrl: string; stop(): Promise<void> }

export type GeneratedHistory = HistorySummary & {
  plan: HistoryPlan
  /** The generating chain, with `keepRunning` (and not with `rpcUrl`: that anvil is yours). */
  running?: RunningChain
}

/** The files of a saved history in `dir`. */
export function historyFiles(dir: string) {
  return { stateFile: join(dir, 'state.json'), deploymentFile: join(dir, 'deployment.json'), summaryFile: join(dir, 'history.json') }
}

/** Private key of history wallet `index` for `seed`. */
export function historyWalletKey(seed: number, index: number): Hex {
  return keccak256(stringToHex(`core-meme-history:${seed}:${index}`))
}

const TOPIC = {
  tokenCreated: toEventSelector('TokenCreated(address,address,string,string,uint256)'),
  pairCreated: toEventSelector('PairCreated(address,address,address,uint256)'),
  swap: toEventSelector('Swap(address,uint256,uint256,uint256,uint256,address)'),
  burn: toEventSelector('Burn(address,uint256,uint256,address)'),
} as const

type Log = { address: Hex; topics: Hex[]; data: Hex; blockNumber: Hex; transactionHash: Hex; logIndex: Hex }
type Receipt = { transactionHash: Hex; status: Hex; blockNumber: Hex; logs: Log[] }
type Block = { number: Hex; timestamp: Hex; hash: Hex }

const topicAddress = (topic: Hex | undefined): Address => getAddress(`0x${(topic ?? '').slice(26)}`)
const word = (data: Hex, index: number): bigint => BigInt(`0x${data.slice(2 + index * 64, 2 + (index + 1) * 64)}`)

/** A transaction of a block being built: whose it is, what it does, what to do with its receipt. */
type Outgoing = { wallet: number; to: Address; data: Hex; value: bigint; gas: bigint; kind: PlannedAction['kind'] | 'approve'; action?: PlannedAction }

/** Blocks kept for the deployment (which takes 7 or 8) before the first planned block. */
const DEPLOYMENT_BLOCKS = 16

const FEES = { maxFeePerGas: 100_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n } as const
const WALLET_FUNDS = parseEther('1000000000')

/**
 * The anvils a history is generated on. anvil 1.7 rebuilds its whole account and storage tries to
 * compute the state root of every block it mines, so with a thousand tokens every block, empty or
 * not, costs tens of milliseconds and a day of blocks takes over ten minutes. A forked anvil does not
 * compute state roots (they are zero), so: a "genesis" anvil with nothing but its genesis block at
 * `end − blocks × blockTime`, and a working anvil forked from it at block 0 (`--prune-history`: no
 * state kept per block; blocks, receipts and logs are all kept). Loading the dump into a plain anvil
 * started with the same genesis timestamp gives the same block 0, so every parent hash matches.
 */
export async function startHistoryAnvils(endTimestamp: number, blocks: number, blockTimeSec: number): Promise<RunningChain> {
  const genesis = await startAnvil({ port: 0, args: ['--timestamp', String(endTimestamp - blocks * blockTimeSec)] })
  try {
    const forked = await startAnvil({ port: 0, args: ['--fork-url', genesis.rpcUrl, '--fork-block-number', '0', '--no-storage-caching', '--prune-history'] })
    return { rpcUrl: forked.rpcUrl, wsUrl: forked.wsUrl, stop: () => forked.stop().finally(() => genesis.stop()) }
  } catch (err) {
    await genesis.stop()
    throw err
  }
}

/**
 * Generates the history: deploys the contracts (automine, one block per deployment transaction), then
 * executes {@link planHistory} block by block with automine off, one JSON-RPC batch of locally signed
 * raw transactions and one `evm_mine` per busy block, one `anvil_mine` per run of empty blocks, every
 * receipt checked. With `out`, dumps the chain (traces dropped) for {@link startHistoryDevnet}.
 *
 * @example
 * const history = await generateHistory({ seed: 1, tokens: 1000, swaps: 20_000, out: '.data/history' })
 * history.toBlock // 28800: 24 h of 3 s blocks
 */
export async function generateHistory(parameters: GenerateHistoryParameters = {}): Promise<GeneratedHistory> {
  const started = performance.now()
  const seed = parameters.seed ?? 1
  const tokens = parameters.tokens ?? 1000
  const hours = parameters.hours ?? 24
  const blockTimeSec = parameters.blockTimeSec ?? 3
  const walletCount = parameters.wallets ?? 200
  if (!Number.isInteger(blockTimeSec) || blockTimeSec < 1) throw new Error('generateHistory: blockTimeSec must be a whole number of seconds ≥ 1')
  const blockCount = Math.round((hours * 3600) / blockTimeSec)

  const chain = parameters.rpcUrl ? undefined : await startHistoryAnvils(parameters.endTimestamp ?? Math.floor(Date.now() / 1000), blockCount, blockTimeSec)
  const rpcUrl = chain?.rpcUrl ?? parameters.rpcUrl!
  const wsUrl = chain?.wsUrl ?? rpcUrl.replace(/^http/, 'ws')
  let keep = false
  try {
    const rpc = rpcClient(rpcUrl)
    const start = await rpc.call<Block>('eth_getBlockByNumber', ['latest', false])
    const genesis = await rpc.call<Block>('eth_getBlockByNumber', ['0x0', false])
    const toBlock = Number(start.number) + blockCount
    await rpc.call('anvil_setBlockTimestampInterval', [blockTimeSec])
    const deployment = await deployDevnet({ rpcUrl, wsUrl })
    await rpc.call('evm_setAutomine', [false])
    // Automine puts the deployment's 9 transactions in 8 or 9 blocks, depending on timing; the plan
    // starts at a fixed block so that it does not depend on that.
    const firstBlock = Number(start.number) + DEPLOYMENT_BLOCKS + 1
    const afterDeploy = Number(await rpc.call<Hex>('eth_blockNumber'))
    if (afterDeploy >= firstBlock) throw new Error(`generateHistory: the deployment took ${afterDeploy - Number(start.number)} blocks, more than ${DEPLOYMENT_BLOCKS}`)

    const plan = planHistory({
      seed,
      tokens,
      swaps: parameters.swaps ?? 20_000,
      removals: parameters.removals ?? Math.ceil(tokens / 100),
      wallets: walletCount,
      firstBlock,
      lastBlock: toBlock,
    })
    const accounts = Array.from({ length: walletCount }, (_, i) => privateKeyToAccount(historyWalletKey(seed, i)))
    await setBalances(rpcUrl, accounts.map((a) => a.address), WALLET_FUNDS)

    const run = await execute({ rpc, deployment, plan, accounts, toBlock, onProgress: parameters.onProgress })

    const head = await rpc.call<Block>('eth_getBlockByNumber', ['latest', false])
    if (Number(head.number) !== toBlock) throw new Error(`generateHistory: head is ${Number(head.number)}, expected ${toBlock}`)
    const fromBlock = deployment.startBlock
    const first = await rpc.call<Block>('eth_getBlockByNumber', [toHex(fromBlock), false])
    const summary: HistorySummary = {
      seed,
      hours,
      blockTimeSec,
      deployment,
      fromBlock,
      toBlock,
      genesisTimestamp: Number(genesis.timestamp),
      fromTimestamp: Number(first.timestamp),
      toTimestamp: Number(head.timestamp),
      ...run,
      seconds: 0,
    }
    if (parameters.out) Object.assign(summary, await saveHistory(rpc, parameters.out, summary))
    summary.seconds = Math.round((performance.now() - started) / 10) / 100
    if (parameters.out) await writeFile(historyFiles(parameters.out).summaryFile, `${JSON.stringify(summary, null, 2)}\n`)
    keep = parameters.keepRunning === true && chain !== undefined
    return { ...summary, plan, ...(keep ? { running: chain } : {}) }
  } finally {
    if (!keep) await chain?.stop()
  }
}

type ExecuteParameters = {
  rpc: RpcClient
  deployment: Deployment
  plan: HistoryPlan
  accounts: PrivateKeyAccount[]
  toBlock: number
  onProgress: GenerateHistoryParameters['onProgress']
}

type RunCounts = Pick<HistorySummary, 'busyBlocks' | 'launches' | 'swaps' | 'buys' | 'sells' | 'removals' | 'transactions' | 'reverted' | 'sellsAsBuys' | 'skipped'>

/** Executes the plan block by block; returns what succeeded. */
async function execute({ rpc, deployment, plan, accounts, toBlock, onProgress }: ExecuteParameters): Promise<RunCounts> {
  const { router, wcore, launcher } = deployment
  const nonces = accounts.map(() => 0)
  const tokenOf = new Map<number, Address>()
  const pairOf = new Map<number, Address>()
  const balances = new Map<string, bigint>()
  const approved = new Set<string>()
  const counts: RunCounts = { busyBlocks: 0, launches: 0, swaps: 0, buys: 0, sells: 0, removals: 0, transactions: 0, reverted: 0, sellsAsBuys: 0, skipped: 0 }
  const key = (wallet: number, launch: number) => `${wallet}:${launch}`

  function buyTx(wallet: number, token: Address, amountCore: bigint, action: PlannedAction): Outgoing {
    const data = encodeFunctionData({ abi: coreMemeRouterAbi, functionName: 'swapExactETHForTokens', args: [0n, [wcore, token], accounts[wallet]!.address, maxUint256] })
    return { wallet, to: router, data, value: amountCore, gas: GAS.swap, kind: 'buy', action }
  }

  function approveTx(wallet: number, token: Address): Outgoing {
    const data = encodeFunctionData({ abi: memeTokenAbi, functionName: 'approve', args: [router, maxUint256] })
    return { wallet, to: token, data, value: 0n, gas: GAS.approve, kind: 'approve' }
  }

  /** The transactions of one planned action; none when its launch failed (counted as skipped). */
  async function build(action: PlannedAction): Promise<Outgoing[]> {
    const l = plan.launches[action.launch]!
    const creator = accounts[l.creator]!.address
    if (action.kind === 'create') {
      const data = encodeFunctionData({ abi: tokenLauncherAbi, functionName: 'createToken', args: [l.name, l.symbol, l.supply] })
      return [{ wallet: l.creator, to: launcher, data, value: 0n, gas: GAS.createToken, kind: 'create', action }]
    }
    const token = tokenOf.get(action.launch)
    const pair = pairOf.get(action.launch)
    // Trades and removals need the pair, which the launch's second block creates.
    if (token === undefined || (action.kind !== 'addLiquidity' && pair === undefined)) {
      counts.skipped++
      return []
    }
    switch (action.kind) {
      case 'addLiquidity': {
        const data = encodeFunctionData({ abi: coreMemeRouterAbi, functionName: 'addLiquidityETH', args: [token, l.liquidityTokens, 0n, 0n, creator, maxUint256] })
        return [approveTx(l.creator, token), { wallet: l.creator, to: router, data, value: l.liquidityCore, gas: GAS.addLiquidityNewPair, kind: 'addLiquidity', action }]
      }
      case 'buy':
        return [buyTx(action.wallet, token, action.amountCore, action)]
      case 'sell': {
        const k = key(action.wallet, action.launch)
        const balance = balances.get(k) ?? 0n
        const amount = (balance * BigInt(action.percent)) / 100n
        if (amount === 0n) {
          counts.sellsAsBuys++
          return [buyTx(action.wallet, token, action.fallbackCore, action)]
        }
        balances.set(k, balance - amount)
        const out: Outgoing[] = []
        if (!approved.has(k)) {
          approved.add(k)
          out.push(approveTx(action.wallet, token))
        }
        const data = encodeFunctionData({ abi: coreMemeRouterAbi, functionName: 'swapExactTokensForETH', args: [amount, 0n, [token, wcore], accounts[action.wallet]!.address, maxUint256] })
        out.push({ wallet: action.wallet, to: router, data, value: 0n, gas: GAS.swap, kind: 'sell', action })
        return out
      }
      case 'remove': {
        if (pair === undefined) return []
        const balanceCall = encodeFunctionData({ abi: coreMemePairAbi, functionName: 'balanceOf', args: [creator] })
        const lp = BigInt(await rpc.call<Hex>('eth_call', [{ to: pair, data: balanceCall }, 'latest']))
        const liquidity = (lp * BigInt(action.percent)) / 100n
        if (liquidity === 0n) return []
        const data = encodeFunctionData({ abi: coreMemeRouterAbi, functionName: 'removeLiquidityETH', args: [token, liquidity, 0n, 0n, creator, maxUint256] })
        return [approveTx(l.creator, pair), { wallet: l.creator, to: router, data, value: 0n, gas: GAS.removeLiquidity, kind: 'remove', action }]
      }
    }
  }

  /** Reads a mined receipt: counts it, learns token and pair addresses and what buys received. */
  function learn(tx: Outgoing, receipt: Receipt): void {
    if (receipt.status !== '0x1') {
      counts.reverted++
      return
    }
    const action = tx.action
    if (!action) return
    if (tx.kind === 'create') {
      const created = receipt.logs.find((log) => log.topics[0] === TOPIC.tokenCreated)
      if (created) tokenOf.set(action.launch, topicAddress(created.topics[1]))
    } else if (tx.kind === 'addLiquidity') {
      const created = receipt.logs.find((log) => log.topics[0] === TOPIC.pairCreated)
      if (created) {
        pairOf.set(action.launch, getAddress(`0x${created.data.slice(26, 66)}`))
        counts.launches++
      }
    } else if (tx.kind === 'buy' || tx.kind === 'sell') {
      const swap = receipt.logs.find((log) => log.topics[0] === TOPIC.swap)
      if (!swap) return
      counts.swaps++
      counts[tx.kind === 'buy' ? 'buys' : 'sells']++
      if (tx.kind === 'buy') {
        const k = key(tx.wallet, action.launch)
        // A buy receives amount0Out + amount1Out (one of them is 0).
        balances.set(k, (balances.get(k) ?? 0n) + word(swap.data, 2) + word(swap.data, 3))
      }
    } else if (tx.kind === 'remove') {
      if (receipt.logs.some((log) => log.topics[0] === TOPIC.burn)) counts.removals++
    }
  }

  const busy = [...plan.blocks.keys()].sort((a, b) => a - b)
  let head = Number(await rpc.call<Hex>('eth_blockNumber'))
  for (const block of busy) {
    if (block <= head) throw new Error(`generateHistory: planned block ${block} is not after the head ${head}`)
    if (block - 1 > head) await rpc.call('anvil_mine', [toHex(block - 1 - head)])
    const outgoing: Outgoing[] = []
    for (const action of plan.blocks.get(block)!) outgoing.push(...(await build(action)))
    const raws = await Promise.all(
      outgoing.map((tx) =>
        accounts[tx.wallet]!.signTransaction({ chainId: deployment.chainId, type: 'eip1559', nonce: nonces[tx.wallet]!++, to: tx.to, data: tx.data, value: tx.value, gas: tx.gas, ...FEES }),
      ),
    )
    const hashes = await rpc.batch<Hex>('eth_sendRawTransaction', raws.map((raw) => [raw]))
    await rpc.call('evm_mine')
    head = block
    const receipts = await rpc.call<Receipt[]>('eth_getBlockReceipts', [toHex(block)])
    if (receipts.length !== outgoing.length) throw new Error(`generateHistory: block ${block} holds ${receipts.length} of the ${outgoing.length} transactions sent`)
    const byHash = new Map(receipts.map((r) => [r.transactionHash, r]))
    for (const [i, tx] of outgoing.entries()) {
      const receipt = byHash.get(hashes[i]!)
      if (!receipt) throw new Error(`generateHistory: no receipt for ${hashes[i]} in block ${block}`)
      learn(tx, receipt)
    }
    counts.transactions += outgoing.length
    counts.busyBlocks++
    onProgress?.({ block, toBlock, transactions: counts.transactions })
  }
  if (toBlock > head) await rpc.call('anvil_mine', [toHex(toBlock - head)])
  return counts
}

/**
 * Drops every `"traces":[…]` array of an anvil state dump (call traces: only `debug_trace*` and
 * `trace_*` read them, and they are two thirds of the dump). String-aware bracket matching.
 *
 * @example
 * stripTraces(Buffer.from('{"info":{"traces":[{"a":"]"}],"out":"0x"}}')).toString() // '{"info":{"traces":[],"out":"0x"}}'
 */
export function stripTraces(json: Buffer): Buffer {
  const key = Buffer.from('"traces":[')
  const parts: Buffer[] = []
  let from = 0
  for (let at = json.indexOf(key); at !== -1; at = json.indexOf(key, from)) {
    const open = at + key.length - 1
    let depth = 0
    let inString = false
    let i = open
    for (; i < json.length; i++) {
      const c = json[i]
      if (inString) {
        if (c === 0x5c) i++
        else if (c === 0x22) inString = false
      } else if (c === 0x22) inString = true
      else if (c === 0x5b || c === 0x7b) depth++
      else if ((c === 0x5d || c === 0x7d) && --depth === 0) break
    }
    if (i >= json.length) throw new Error('stripTraces: unterminated traces array')
    parts.push(json.subarray(from, open + 1))
    from = i
  }
  parts.push(json.subarray(from))
  return Buffer.concat(parts)
}

/** Dumps the chain (`anvil_dumpState`: gzip, hex) and writes it as the JSON `anvil --load-state` reads, without traces. */
async function saveHistory(rpc: RpcClient, dir: string, summary: HistorySummary): Promise<Pick<HistorySummary, 'stateFile' | 'deploymentFile' | 'stateBytes'>> {
  const { stateFile, deploymentFile } = historyFiles(dir)
  await mkdir(dir, { recursive: true })
  const dump = await rpc.call<Hex>('anvil_dumpState')
  const json = stripTraces(gunzipSync(Buffer.from(dump.slice(2), 'hex')))
  await writeFile(`${stateFile}.tmp`, json)
  await rename(`${stateFile}.tmp`, stateFile)
  await writeDeployment(deploymentFile, summary.deployment)
  return { stateFile, deploymentFile, stateBytes: (await stat(stateFile)).size }
}

// ─── Loading ─────────────────────────────────────────────────────────────────────────────────────

/** Options of {@link startHistoryDevnet}: a directory written by {@link generateHistory}, or its files. */
export type StartHistoryDevnetParameters = {
  dir?: string
  stateFile?: string
  deploymentFile?: string
  /** Where `genesisTimestamp` and `blockTimeSec` are read from. Default `history.json` of `dir`. */
  summaryFile?: string
  /** More anvil options (port, blockTime, args…). Default: automine, a free port. */
  anvil?: StartAnvilParameters
  /**
   * Give the next blocks `head timestamp + blockTimeSec`, `+ 2 × blockTimeSec`… instead of the wall
   * clock (which is what anvil does), so that new blocks continue the saved day even when it was
   * generated long ago. Default false.
   */
  continueClock?: boolean
}

export type HistoryDevnet = {
  anvil: Anvil
  /** The saved deployment (same addresses), with this anvil's URLs. */
  deployment: Deployment
  /** The generator's summary (`history.json`). */
  summary: HistorySummary
  stop(): Promise<void>
}

/**
 * Starts anvil from a saved history (`anvil --load-state` and `--timestamp` of the saved genesis):
 * blocks, hashes, receipts, logs and timestamps as generated, the contracts at the same addresses.
 * Loading the default day takes a few seconds.
 *
 * @example
 * const devnet = await startHistoryDevnet({ dir: '.data/history' })
 * devnet.deployment.factory // same as when generated
 * await devnet.stop()
 */
export async function startHistoryDevnet(parameters: StartHistoryDevnetParameters): Promise<HistoryDevnet> {
  const files = parameters.dir ? historyFiles(parameters.dir) : undefined
  const stateFile = parameters.stateFile ?? files?.stateFile
  const deploymentFile = parameters.deploymentFile ?? files?.deploymentFile
  const summaryFile = parameters.summaryFile ?? files?.summaryFile
  if (!stateFile || !deploymentFile || !summaryFile) throw new Error('startHistoryDevnet: give dir, or stateFile, deploymentFile and summaryFile')
  const saved = await readDeployment(deploymentFile)
  const summary = JSON.parse(await readFile(summaryFile, 'utf8')) as HistorySummary
  const options = parameters.anvil ?? {}
  const anvil = await startAnvil({
    port: 0,
    chainId: saved.chainId,
    startTimeoutMs: 120_000,
    ...options,
    args: ['--load-state', stateFile, '--timestamp', String(summary.genesisTimestamp), ...(options.args ?? [])],
  })
  try {
    if (parameters.continueClock) {
      const rpc = rpcClient(anvil.rpcUrl)
      const head = await rpc.call<Block>('eth_getBlockByNumber', ['latest', false])
      await rpc.call('evm_setNextBlockTimestamp', [Number(head.timestamp) + summary.blockTimeSec])
      await rpc.call('anvil_setBlockTimestampInterval', [summary.blockTimeSec])
    }
  } catch (err) {
    await anvil.stop()
    throw err
  }
  return { anvil, deployment: { ...saved, rpcUrl: anvil.rpcUrl, wsUrl: anvil.wsUrl }, summary, stop: () => anvil.stop() }
}

// ─── Checking ────────────────────────────────────────────────────────────────────────────────────

/** Logs of the history on a chain, by kind. */
export type HistoryLogCounts = { tokenCreated: number; pairCreated: number; swaps: number; burns: number }

/**
 * Counts the history's logs with `eth_getLogs` over `[fromBlock, toBlock]` (in chunks of `chunk` blocks):
 * `TokenCreated` of the launcher, `PairCreated` of the factory, `Swap` and `Burn` of any pair.
 *
 * @example
 * await countHistoryLogs(devnet.deployment.rpcUrl, devnet.deployment, 1, 28_800) // { tokenCreated: 1000, pairCreated: 1001, swaps: 20000, burns: 10 }
 */
export async function countHistoryLogs(rpcUrl: string, deployment: Deployment, fromBlock: number, toBlock: number, chunk = 10_000): Promise<HistoryLogCounts> {
  const rpc = rpcClient(rpcUrl)
  const counts: HistoryLogCounts = { tokenCreated: 0, pairCreated: 0, swaps: 0, burns: 0 }
  for (let from = fromBlock; from <= toBlock; from += chunk) {
    const range = { fromBlock: toHex(from), toBlock: toHex(Math.min(toBlock, from + chunk - 1)) }
    const [created, pairs, swapsAndBurns] = await Promise.all([
      rpc.call<Log[]>('eth_getLogs', [{ ...range, address: deployment.launcher, topics: [TOPIC.tokenCreated] }]),
      rpc.call<Log[]>('eth_getLogs', [{ ...range, address: deployment.factory, topics: [TOPIC.pairCreated] }]),
      rpc.call<Log[]>('eth_getLogs', [{ ...range, topics: [[TOPIC.swap, TOPIC.burn]] }]),
    ])
    counts.tokenCreated += created.length
    counts.pairCreated += pairs.length
    for (const log of swapsAndBurns) counts[log.topics[0] === TOPIC.swap ? 'swaps' : 'burns']++
  }
  return counts
}
