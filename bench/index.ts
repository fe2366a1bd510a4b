/**
 * `npm run bench`: runs every benchmark, prints a table and writes bench/results/<name>.json.
 * Machine: state it when quoting numbers (`nproc`, `node --version`); results are for one run.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { benchSwapLatency } from './latency.js'

const machine = { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version, date: new Date().toISOString() }
const latency = await benchSwapLatency(Number(process.env.BENCH_SAMPLES ?? 200))
console.table([latency])
mkdirSync('bench/results', { recursive: true })
writeFileSync('bench/results/latency.json', JSON.stringify({ machine, results: [latency] }, null, 2))
console.log('wrote bench/results/latency.json')
process.exit(0)
