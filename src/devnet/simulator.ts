import { setMaxListeners } from 'node:events'
import { keccak256, parseEther, parseUnits, stringToHex, type Hex } from 'viem'
import { pino, type Logger } from 'pino'
import { createActions, type DevnetActions, type LaunchTokenReturnType } from './actions.js'
import { createDevnetWallet, setBalances, type DevnetWallet } from './client.js'
import type { Deployment } from './deploy.js'
import { createPlanner, DEFAULT_PACE, type LaunchDecision, type SimDecision, type SimPace } from './planner.js'

/** Options of {@link createSimulator}. */
export type CreateSimulatorParameters = {
  rpcUrl: string
  deployment: Deployment
  /** Same seed, same wallets and same decisions (`SIM_SEED`). */
  seed: number
  pace?: Partial<SimPace>
  /** Number of simulated wallets. Default 16. */
  walletCount?: number
  log?: Logger
}

/** What the loop has done so far (successful actions only, except `failed`). */
export type SimStats = { launches: number; buys: number; sells: number; whales: number; pumps: number; dumps: number; rugs: number; failed: number; skipped: number }

/** A market simulator over the devnet contracts. */
export type Simulator = {
  /** Starts the loop (one planning step every `pace.tickMs`). Idempotent. */
  start(): void
  /** Stops the loop, aborts pending receipt waits and resolves once every in-flight action has settled. Idempotent. */
  stop(): Promise<void>
  /** The actions the loop uses, for tests and scripts. */
  actions: DevnetActions
  /** The simulated wallets, funded with 1,000,000 CORE each. */
  wallets: readonly DevnetWallet[]
  /** Tokens the loop launched, by launch number. */
  launched: ReadonlyMap<number, LaunchTokenReturnType>
  stats: Readonly<SimStats>
}

/** Most actions a wallet may have waiting; past it the loop skips that wallet's decision (overload). */
const MAX_PENDING_PER_WALLET = 6
const WALLET_FUNDS = parseEther('1000000')

/**
 * The private key of simulated wallet `index` for `seed`: keccak256 of a fixed label, the seed and the index.
 *
 * @example
 * simWalletKey(1, 0) // the same key on every run
 */
export function simWalletKey(seed: number, index: number): Hex {
  return keccak256(stringToHex(`core-meme-sim:${seed}:${index}`))
}

/** `12.5` → 12.5 × 10^decimals, for the planner's whole-unit numbers. */
function units(amount: number, decimals = 18): bigint {
  return parseUnits(amount.toFixed(6), decimals)
}

/**
 * Creates the simulator: derives the wallets from `seed`, funds them with `anvil_setBalance`, and
 * returns the loop (stopped) and the actions. A reverted or failed action is logged and skipped.
 *
 * @example
 * const sim = await createSimulator({ rpcUrl: anvil.rpcUrl, deployment, seed: 1 })
 * sim.start()
 * // … launches, trades, whales, rugs …
 * await sim.stop()
 */
export async function createSimulator(parameters: CreateSimulatorParameters): Promise<Simulator> {
  const { rpcUrl, deployment, seed } = parameters
  const log = parameters.log ?? pino({ level: 'silent' })
  const pace: SimPace = { ...DEFAULT_PACE, ...parameters.pace }
  const walletCount = parameters.walletCount ?? 16
  const wallets = Array.from({ length: walletCount }, (_, i) => createDevnetWallet({ rpcUrl, chainId: deployment.chainId, privateKey: simWalletKey(seed, i) }))
  await setBalances(rpcUrl, wallets.map((w) => w.address), WALLET_FUNDS)

  const controller = new AbortController()
  // Every pending receipt wait listens on this signal.
  setMaxListeners(0, controller.signal)
  const actions = createActions({ rpcUrl, deployment, signal: controller.signal })
  const planner = createPlanner({ seed, walletCount, pace })
  const stats: SimStats = { launches: 0, buys: 0, sells: 0, whales: 0, pumps: 0, dumps: 0, rugs: 0, failed: 0, skipped: 0 }
  const launches = new Map<number, Promise<LaunchTokenReturnType | undefined>>()
  const launched = new Map<number, LaunchTokenReturnType>()
  const pending = new Map<number, number>()
  const inFlight = new Set<Promise<void>>()
  let timer: NodeJS.Timeout | undefined

  async function launch(d: LaunchDecision): Promise<LaunchTokenReturnType> {
    const supply = units(d.supply)
    const result = await actions.launchToken({
      wallet: wallets[d.creator]!,
      name: d.name,
      symbol: d.symbol,
      supply,
      liquidityCore: units(d.liquidityCore),
      liquidityTokens: (supply * BigInt(d.liquidityPercent)) / 100n,
    })
    launched.set(d.launch, result)
    stats.launches++
    log.info({ launch: d.launch, symbol: d.symbol, token: result.token, pair: result.pair, liquidityCore: d.liquidityCore }, 'sim: token launched')
    return result
  }

  /** Runs a decision about an existing token once its launch has finished; false when there is nothing to do. */
  async function trade(d: Exclude<SimDecision, LaunchDecision>): Promise<boolean> {
    const token = (await launches.get(d.launch))?.token
    if (!token) return false
    const wallet = wallets[d.wallet]!
    if (d.kind === 'buy') {
      await actions.buy({ wallet, token, amountCore: units(d.amountCore) })
      stats.buys++
      if (d.reason !== 'trade') stats[d.reason === 'whale' ? 'whales' : 'pumps']++
      log[d.reason === 'trade' ? 'debug' : 'info']({ token, wallet: wallet.address, amountCore: d.amountCore, reason: d.reason }, 'sim: buy')
      return true
    }
    if (d.kind === 'sell') {
      await actions.sell({ wallet, token, percent: d.percent })
      stats.sells++
      if (d.reason === 'dump') stats.dumps++
      log[d.reason === 'trade' ? 'debug' : 'info']({ token, wallet: wallet.address, percent: d.percent, reason: d.reason }, 'sim: sell')
      return true
    }
    await actions.removeLiquidity({ wallet, token, percent: d.percent })
    stats.rugs++
    log.info({ token, wallet: wallet.address, percent: d.percent }, 'sim: rug (liquidity removed)')
    return true
  }

  function onFailure(d: SimDecision, err: unknown): void {
    if (controller.signal.aborted) return
    stats.failed++
    log.warn({ decision: d.kind, launch: d.launch, err: err instanceof Error ? err.message : String(err) }, 'sim: action failed, continuing')
  }

  /** Keeps `run` in the in-flight set (for stop()) and the wallet's pending count until it settles. */
  function track(walletIndex: number, run: Promise<unknown>): void {
    pending.set(walletIndex, (pending.get(walletIndex) ?? 0) + 1)
    const tracked = run.then(() => {
      pending.set(walletIndex, (pending.get(walletIndex) ?? 1) - 1)
      inFlight.delete(tracked)
    })
    inFlight.add(tracked)
  }

  /** Starts one decision in the background; skips it when its wallet already has too much waiting. */
  function execute(d: SimDecision): void {
    const walletIndex = d.kind === 'launch' ? d.creator : d.wallet
    const busy = (pending.get(walletIndex) ?? 0) >= MAX_PENDING_PER_WALLET
    const failed = (err: unknown): undefined => void onFailure(d, err)
    if (busy) {
      stats.skipped++
      log.debug({ decision: d.kind, wallet: walletIndex }, 'sim: wallet busy, decision skipped')
    }
    if (d.kind === 'launch') {
      const run = busy ? Promise.resolve(undefined) : launch(d).catch(failed)
      launches.set(d.launch, run)
      track(walletIndex, run)
    } else if (!busy) {
      track(walletIndex, trade(d).catch(failed))
    }
  }

  function onTick(): void {
    if (controller.signal.aborted) return
    for (const decision of planner.step()) execute(decision)
  }

  return {
    start() {
      if (timer || controller.signal.aborted) return
      log.info({ seed, wallets: walletCount, tickMs: pace.tickMs }, 'sim: started')
      onTick()
      timer = setInterval(onTick, pace.tickMs)
    },
    async stop() {
      clearInterval(timer)
      if (!controller.signal.aborted) {
        controller.abort()
        log.info({ stats }, 'sim: stopping')
      }
      await Promise.allSettled([...inFlight])
    },
    actions,
    wallets,
    launched,
    stats,
  }
}
