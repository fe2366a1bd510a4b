/**
 * `npm run bench:startup`: how long a server takes to serve correct 24 h stats after a start, cold
 * (no saved state: it replays a day of blocks) and warm (from its saved state), at mainnet scale: a
 * devnet with a day of history (28,800 blocks of 3 s, 1,000 launches, 20,000 swaps; generated once
 * into .data/history by `npm run history`, ~70 s). JSON-RPC calls are counted by a proxy.
 *
 * Also what launch intelligence costs: the cold start once more with `RISK_TRACKING=false`, then, after
 * the warm start, live following — blocks of one trade each, each processed before the next — with the
 * JSON-RPC calls per block by kind (DEX logs, Transfer logs, eth_call), and the launch-risk state per
 * tracked token (its rows in the saved state, and the heap they take: run with --expose-gc). Prints tables
 * and writes bench/results/startup.json.
 *
 *   npx tsx bench/startup.ts [--redis redis://127.0.0.1:6379]
 */
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { pino } from 'pino'
import { createTestClient, http, parseEther, publicActions, toFunctionSelector, type Address } from 'viem'
import { generatePrivateKey } from 'viem/accounts'
import { createApp, type App } from '../src/app.js'
import { parseConfig } from '../src/config/config.js'
import { createActions } from '../src/devnet/actions.js'
import { createDevnetWallet, setBalances } from '../src/devnet/client.js'
import { generateHistory, startHistoryDevnet } from '../src/devnet/history.js'
import { loadState } from '../src/indexer/state.js'
import { createStateFile } from '../src/ledger/stateFile.js'
import { startRpcProxy, type RpcProxy } from '../test/support/rpcProxy.js'

const { values } = parseArgs({ options: { redis: { type: 'string' }, history: { type: 'string', default: '.data/history' } } })
const dir = values.history!
if (!existsSync(join(dir, 'state.json'))) {
  console.log(`no day of history in ${dir}: generating it (1,000 tokens, 20,000 swaps, ~70 s)…`)
  await generateHistory({ out: dir })
}
const devnet = await startHistoryDevnet({ dir, continueClock: true })
const work = mkdtempSync(join(os.tmpdir(), 'cmws-startup-'))
const deploymentFile = join(work, 'devnet.json')
writeFileSync(deploymentFile, JSON.stringify(devnet.deployment))
const proxy: RpcProxy = await startRpcProxy(devnet.anvil.rpcUrl)
const chainRpc = createTestClient({ mode: 'anvil', transport: http(devnet.anvil.rpcUrl) }).extend(publicActions)

type Calls = { rpcCalls: number; dexLogs: number; transferLogs: number; ethCalls: number; sellChecks: number }
type Run = { name: string; mode: string; risk: boolean; start: string | null; secondsToReady: number; blocks: number; tokens: number } & Calls
type Following = { blocks: number } & { [K in keyof Calls as `${K}PerBlock`]: number } & { byMethod: Record<string, number> }

const TRANSFER_SELECTOR = toFunctionSelector('transfer(address,uint256)')

/** The calls the proxy saw, by kind: `eth_getLogs` for the DEX topics or for `Transfer`s of followed contracts, `eth_call` (of which sell checks: a simulated `transfer`). */
function countCalls(): Calls {
  const logs = proxy.calls.filter((c) => c.method === 'eth_getLogs')
  const transfers = logs.filter((c) => (c.params[0] as { address?: unknown }).address !== undefined).length
  const calls = proxy.calls.filter((c) => c.method === 'eth_call')
  const sellChecks = calls.filter((c) => String((c.params[0] as { data?: string; input?: string }).data ?? (c.params[0] as { input?: string }).input).startsWith(TRANSFER_SELECTOR)).length
  return { rpcCalls: proxy.calls.length, dexLogs: logs.length - transfers, transferLogs: transfers, ethCalls: calls.length, sellChecks }
}

function settings(mode: 'memory' | 'redis', prefix: string, risk: boolean, stateFile: string): Record<string, string> {
  return {
    WS_PORT: '0',
    HOST: '127.0.0.1',
    NODE_ENV: 'production',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    CORE_NETWORK: 'devnet',
    DEVNET_FILE: deploymentFile,
    CORE_RPC_URL: proxy.url,
    CORE_WS_URL: devnet.deployment.wsUrl,
    CHECKPOINT_FILE: stateFile,
    REBUILD_BLOCKS: '28800',
    LEADER_TTL_MS: '1000',
    RISK_TRACKING: String(risk),
    ...(mode === 'redis' ? { REDIS_URL: values.redis!, REDIS_PREFIX: prefix } : {}),
  }
}

/** Starts a server, waits until it serves correct 24 h stats, then hands it to `more` before stopping it. */
async function run(name: string, mode: 'memory' | 'redis', prefix: string, options: { risk?: boolean; stateFile?: string; more?: (app: App) => Promise<void> } = {}): Promise<Run> {
  const risk = options.risk ?? true
  proxy.calls.length = 0
  const app: App = createApp(parseConfig(settings(mode, prefix, risk, options.stateFile ?? join(work, 'state.json'))), pino({ level: process.env.LOG_LEVEL ?? 'warn' }))
  const started = performance.now()
  await app.start()
  // Serving, and its indexer (alone or leading) has caught up with the chain: correct 24 h stats.
  while (!app.ready() || !(await chainStatus(app)).ready) await new Promise((r) => setTimeout(r, 50))
  const seconds = (performance.now() - started) / 1000
  const chain = await chainStatus(app)
  const result: Run = { name, mode, risk, start: chain.start, secondsToReady: Math.round(seconds * 10) / 10, ...countCalls(), blocks: chain.processed ?? 0, tokens: chain.tokens }
  await options.more?.(app)
  await app.stop()
  return result
}

type ChainStatus = { ready: boolean; start: string | null; head: number | null; processed: number | null; tokens: number }
async function chainStatus(app: App): Promise<ChainStatus> {
  const port = (app.gateway!.server.address() as { port: number }).port
  return ((await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { chain: ChainStatus }).chain
}

/**
 * Live following: `blocks` blocks, each holding one buy of a recent launch (the last 50) by a fresh
 * wallet, each processed before the next is mined; the calls per block.
 */
async function follow(app: App, blocks: number): Promise<Following> {
  const port = (app.gateway!.server.address() as { port: number }).port
  const recent = ((await (await fetch(`http://127.0.0.1:${port}/tokens`)).json()) as { tokens: { address: Address }[] }).tokens.map((t) => t.address)
  const wallet = createDevnetWallet({ rpcUrl: devnet.anvil.rpcUrl, chainId: devnet.deployment.chainId, privateKey: generatePrivateKey() })
  await setBalances(devnet.anvil.rpcUrl, [wallet.address], parseEther('1000000'))
  const actions = createActions({ rpcUrl: devnet.anvil.rpcUrl, deployment: devnet.deployment })
  proxy.calls.length = 0
  for (let i = 0; i < blocks; i++) {
    await actions.buy({ wallet, token: recent[i % recent.length]!, amountCore: parseEther('0.1') })
    const mined = Number(await chainRpc.getBlockNumber({ cacheTime: 0 }))
    while (((await chainStatus(app)).processed ?? 0) < mined) await new Promise((r) => setTimeout(r, 10))
  }
  const calls = countCalls()
  const per = (n: number) => Math.round((n / blocks) * 100) / 100
  const byMethod: Record<string, number> = {}
  for (const c of proxy.calls) byMethod[c.method] = (byMethod[c.method] ?? 0) + 1
  return { byMethod, blocks, rpcCallsPerBlock: per(calls.rpcCalls), dexLogsPerBlock: per(calls.dexLogs), transferLogsPerBlock: per(calls.transferLogs), ethCallsPerBlock: per(calls.ethCalls), sellChecksPerBlock: per(calls.sellChecks) }
}

const riskTables = ['tracked', 'lpOf', 'balances', 'groups', 'taxes', 'sellChecks', 'buyers', 'risk'] as const

/**
 * The launch-risk tables of a saved state, per tracked token: their rows' text size, and the heap they
 * take once loaded (needs --expose-gc).
 */
async function riskState(path: string): Promise<{ trackedTokens: number; holderRows: number; bytesPerToken: number; heapBytesPerToken: number | null }> {
  const saved = await createStateFile(path).load()
  if (!saved) throw new Error(`no saved state in ${path}`)
  const rows = saved.restored.rows
  const tracked = rows.tracked?.length ?? 0
  const text = riskTables.reduce((sum, t) => sum + (rows[t] ?? []).reduce((n, [k, v]) => n + k.length + v.length, 0), 0)
  const heap = () => (globalThis.gc ? (globalThis.gc(), process.memoryUsage().heapUsed) : NaN)
  const only = Object.fromEntries(riskTables.map((t) => [t, rows[t] ?? []]))
  // The heap a state of the risk tables alone takes (with what they derive: holdings), median of three loads.
  const samples: number[] = []
  const kept: unknown[] = []
  for (let i = 0; i < 3; i++) {
    const before = heap()
    kept.push(loadState(only))
    samples.push(heap() - before)
  }
  kept.length = 0
  const added = samples.sort((x, y) => x - y)[1]!
  return { trackedTokens: tracked, holderRows: rows.balances?.length ?? 0, bytesPerToken: tracked ? Math.round(text / tracked) : 0, heapBytesPerToken: tracked && !Number.isNaN(added) ? Math.round(added / tracked) : null }
}

const prefix = `bench-startup:${Date.now()}:`
const followBlocks = 200
let following: Following | null = null
const runs: Run[] = [
  await run('cold start (a day replayed)', 'memory', prefix),
  await run('warm start (saved state)', 'memory', prefix, { more: async (app) => void (following = await follow(app, followBlocks)) }),
]
const state = await riskState(join(work, 'state.json'))
runs.push(await run('cold start, RISK_TRACKING=false', 'memory', prefix, { risk: false, stateFile: join(work, 'state-norisk.json') }))
if (values.redis) runs.push(await run('cold start (a day replayed)', 'redis', prefix), await run('warm start (state in Redis)', 'redis', prefix))
console.table(runs)
console.log(`live following, ${followBlocks} blocks of one trade each (JSON-RPC calls per block):`)
console.table([{ ...following!, byMethod: undefined }])
console.log('calls by method:', following!.byMethod)
console.log('launch-risk state (per tracked token):')
console.table([state])
const machine = { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version, date: new Date().toISOString() }
mkdirSync('bench/results', { recursive: true })
writeFileSync('bench/results/startup.json', JSON.stringify({ machine, history: devnet.summary, runs, following, riskState: state }, null, 2))
console.log('wrote bench/results/startup.json')
await proxy.close()
await devnet.stop()
process.exit(0)
