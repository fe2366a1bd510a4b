/**
 * `npm run bench`: runs every benchmark, prints a table and writes bench/results/bench.json.
 * State the machine when quoting numbers; the JSON records it. BENCH_SAMPLES, BENCH_CLIENTS and
 * BENCH_MESSAGES scale the runs.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { benchFanout } from './fanout.js'
import { benchSwapLatency } from './latency.js'

const machine = { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version, date: new Date().toISOString() }
const latency = await benchSwapLatency(Number(process.env.BENCH_SAMPLES ?? 200))
console.table([latency])
const clients = Number(process.env.BENCH_CLIENTS ?? 5000)
const fanout = [await benchFanout(1000, Number(process.env.BENCH_MESSAGES ?? 500)), await benchFanout(clients, Number(process.env.BENCH_MESSAGES ?? 500))]
console.table(fanout)
mkdirSync('bench/results', { recursive: true })
writeFileSync('bench/results/bench.json', JSON.stringify({ machine, latency, fanout }, null, 2))
console.log('wrote bench/results/bench.json')
process.exit(0)
