/**
 * `npm run bench:startup`: how long a server takes to serve correct 24 h stats after a start, cold
 * (no saved state: it replays a day of blocks) and warm (from its saved state), at mainnet scale: a
 * devnet with a day of history (28,800 blocks of 3 s, 1,000 launches, 20,000 swaps; generated once
 * into .data/history by `npm run history`, ~70 s). JSON-RPC calls are counted by a proxy. Prints a
 * table and writes bench/results/startup.json.
 *
 *   npx tsx bench/startup.ts [--redis redis://127.0.0.1:6379]
 */
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { pino } from 'pino'
import { createApp, type App } from '../src/app.js'
import { parseConfig } from '../src/config/config.js'
import { generateHistory, startHistoryDevnet } from '../src/devnet/history.js'
import { startRpcProxy, type RpcProxy } from '../test/support/rpcProxy.js'

const { values } = parseArgs({ options: { redis: { type: 'string' }, history: { type: 'string', default: '.data/history' } } })
const dir = values.history!
if (!existsSync(join(dir, 'state.json'))) {
  console.log(`no day of history in ${dir}: generating it (1,000 tokens, 20,000 swaps, ~70 s)…`)
  await generateHistory({ out: dir })
}
const devnet = await startHistoryDevnet({ dir })
const work = mkdtempSync(join(os.tmpdir(), 'cmws-startup-'))
const deploymentFile = join(work, 'devnet.json')
writeFileSync(deploymentFile, JSON.stringify(devnet.deployment))
const proxy: RpcProxy = await startRpcProxy(devnet.anvil.rpcUrl)

type Run = { name: string; mode: string; start: string | null; secondsToReady: number; rpcCalls: number; getLogs: number; ethCalls: number; blocks: number; tokens: number; rssMb: number }

async function run(name: string, mode: 'memory' | 'redis', prefix: string): Promise<Run> {
  proxy.calls.length = 0
  const env = {
    WS_PORT: '0',
    HOST: '127.0.0.1',
    NODE_ENV: 'production',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    CORE_NETWORK: 'devnet',
    DEVNET_FILE: deploymentFile,
    CORE_RPC_URL: proxy.url,
    CORE_WS_URL: devnet.deployment.wsUrl,
    CHECKPOINT_FILE: join(work, 'state.json'),
    REBUILD_BLOCKS: '28800',
    LEADER_TTL_MS: '1000',
    ...(mode === 'redis' ? { REDIS_URL: values.redis!, REDIS_PREFIX: prefix } : {}),
  }
  const app: App = createApp(parseConfig(env), pino({ level: process.env.LOG_LEVEL ?? 'warn' }))
  const started = performance.now()
  await app.start()
  // Serving, and its indexer (alone or leading) has caught up with the chain: correct 24 h stats.
  while (!app.ready() || !((await health(app))['chain'] as { ready: boolean }).ready) await new Promise((r) => setTimeout(r, 50))
  const seconds = (performance.now() - started) / 1000
  const chain = (await health(app))['chain'] as { start: string | null; processed: number; tokens: number }
  const result: Run = {
    name,
    mode,
    start: chain.start,
    secondsToReady: Math.round(seconds * 10) / 10,
    rpcCalls: proxy.calls.length,
    getLogs: proxy.count('eth_getLogs'),
    ethCalls: proxy.count('eth_call'),
    blocks: chain.processed,
    tokens: chain.tokens,
    rssMb: Math.round(process.memoryUsage().rss / 2 ** 20),
  }
  await app.stop()
  return result
}

async function health(app: App): Promise<Record<string, unknown>> {
  const port = (app.gateway!.server.address() as { port: number }).port
  return (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as Record<string, unknown>
}

const prefix = `bench-startup:${Date.now()}:`
const runs: Run[] = [await run('cold start (a day replayed)', 'memory', prefix), await run('warm start (saved state)', 'memory', prefix)]
if (values.redis) runs.push(await run('cold start (a day replayed)', 'redis', prefix), await run('warm start (state in Redis)', 'redis', prefix))
console.table(runs)
const machine = { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version, date: new Date().toISOString() }
mkdirSync('bench/results', { recursive: true })
writeFileSync('bench/results/startup.json', JSON.stringify({ machine, history: devnet.summary, runs }, null, 2))
console.log('wrote bench/results/startup.json')
await proxy.close()
await devnet.stop()
process.exit(0)
