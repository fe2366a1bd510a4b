import { setMaxListeners } from 'node:events'
import { keccak256, parseEther, stringToHex, type Hex } from 'viem'
import { pino, type Logger } from 'pino'
import { createActions, type DevnetActions } from './actions.js'
import { createDevnetWallet, setBalances, type DevnetWallet } from './client.js'
import type { Deployment } from './deploy.js'
import { emptyStats, executeLaunch, executeOnToken, type ExecuteDeps, type SimLaunch, type SimStats, type TokenDecision } from './execute.js'
import { createPlanner, DEFAULT_PACE, type LaunchDecision, type SimDecision, type SimPace } from './planner.js'

export type { SimLaunch, SimStats } from './execute.js'

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
  /** Tokens the loop launched, by launch number, with their scenario and decision. */
  launched: ReadonlyMap<number, SimLaunch>
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
  const stats = emptyStats()
  const deps: ExecuteDeps = { actions, wallets, stats, log }
  const launches = new Map<number, Promise<SimLaunch | undefined>>()
  const launched = new Map<number, SimLaunch>()
  const pending = new Map<number, number>()
  const inFlight = new Set<Promise<void>>()
  let timer: NodeJS.Timeout | undefined

  async function launch(d: LaunchDecision): Promise<SimLaunch> {
    const result = await executeLaunch(deps, d)
    launched.set(d.launch, result)
    return result
  }

  /** Runs a decision about an existing token once its launch has finished; nothing if the launch failed. */
  async function onToken(d: TokenDecision): Promise<void> {
    const token = (await launches.get(d.launch))?.token
    if (token) await executeOnToken(deps, d, token)
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
      track(walletIndex, onToken(d).catch(failed))
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
