/**
 * `tsx scripts/history.ts`: generates a devnet with a day of history and saves it for
 * `startHistoryDevnet` (src/devnet/history.ts): `state.json` (anvil `--load-state`), `deployment.json`
 * and `history.json` (the summary) in `--out`.
 *
 *   tsx scripts/history.ts --tokens 1000 --swaps 20000 --out .data/history
 *   tsx scripts/history.ts --tokens 5 --swaps 50 --hours 2 --out /tmp/h --verify
 *
 * Options: --seed (1), --tokens (1000), --swaps (20000), --removals (tokens / 100), --hours (24),
 * --block-time (3), --wallets (200), --end (unix seconds of the last block; default now),
 * --out (.data/history), --verify (start anvil from the saved files and check blocks and logs).
 */
import { parseArgs } from 'node:util'
import { countHistoryLogs, generateHistory, startHistoryDevnet, type HistorySummary } from '../src/devnet/history.js'

const { values } = parseArgs({
  options: {
    seed: { type: 'string' },
    tokens: { type: 'string' },
    swaps: { type: 'string' },
    removals: { type: 'string' },
    hours: { type: 'string' },
    'block-time': { type: 'string' },
    wallets: { type: 'string' },
    end: { type: 'string' },
    out: { type: 'string', default: '.data/history' },
    verify: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
})

if (values.help) {
  console.log('tsx scripts/history.ts [--seed 1] [--tokens 1000] [--swaps 20000] [--removals N] [--hours 24] [--block-time 3] [--wallets 200] [--end UNIX_S] [--out .data/history] [--verify]')
  process.exit(0)
}

/** A whole number option, or undefined when absent; exits on anything else. */
function int(name: keyof typeof values): number | undefined {
  const raw = values[name]
  if (raw === undefined) return undefined
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 0) {
    console.error(`--${name} must be a whole number, got ${String(raw)}`)
    process.exit(2)
  }
  return n
}

const out = values.out
let nextReport = 0
const history = await generateHistory({
  seed: int('seed'),
  tokens: int('tokens'),
  swaps: int('swaps'),
  removals: int('removals'),
  hours: int('hours'),
  blockTimeSec: int('block-time'),
  wallets: int('wallets'),
  endTimestamp: int('end'),
  out,
  onProgress: ({ block, toBlock, transactions }) => {
    if (block < nextReport) return
    nextReport = block + Math.ceil(toBlock / 10)
    console.log(`  block ${block}/${toBlock}, ${transactions} transactions`)
  },
})

const iso = (s: number) => new Date(s * 1000).toISOString()
const summary: HistorySummary = history
console.log(
  [
    `History (seed ${summary.seed}) written to ${out} in ${summary.seconds} s`,
    `  blocks      ${summary.fromBlock}–${summary.toBlock} (${summary.busyBlocks} with transactions), every ${summary.blockTimeSec} s`,
    `  timestamps  ${iso(summary.fromTimestamp)} → ${iso(summary.toTimestamp)} (genesis ${iso(summary.genesisTimestamp)})`,
    `  launches    ${summary.launches}`,
    `  swaps       ${summary.swaps} (${summary.buys} buys, ${summary.sells} sells)`,
    `  removals    ${summary.removals}`,
    `  txs         ${summary.transactions} sent after the deployment, ${summary.reverted} reverted`,
    `  state       ${summary.stateFile} (${((summary.stateBytes ?? 0) / 1e6).toFixed(1)} MB)`,
    `  deployment  ${summary.deploymentFile}`,
  ].join('\n'),
)

if (values.verify) {
  const started = performance.now()
  const devnet = await startHistoryDevnet({ dir: out })
  const loadMs = Math.round(performance.now() - started)
  try {
    const counts = await countHistoryLogs(devnet.anvil.rpcUrl, devnet.deployment, 0, summary.toBlock)
    const head = (await (await fetch(devnet.anvil.rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_getBlockByNumber', params: ['latest', false] }) })).json()) as { result: { number: string; timestamp: string } }
    const ok =
      Number(head.result.number) === summary.toBlock &&
      Number(head.result.timestamp) === summary.toTimestamp &&
      counts.tokenCreated === summary.launches &&
      counts.pairCreated === summary.launches + 1 &&
      counts.swaps === summary.swaps &&
      counts.burns === summary.removals
    console.log(`  verify      loaded in ${loadMs} ms: head ${Number(head.result.number)}, logs ${JSON.stringify(counts)} → ${ok ? 'OK' : 'MISMATCH'}`)
    if (!ok) process.exitCode = 1
  } finally {
    await devnet.stop()
  }
}
