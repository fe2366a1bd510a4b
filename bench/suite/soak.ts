/**
 * (e) The soak: the embedded devnet (anvil + simulator + indexer + gateway in one process, as
 * `npm start` with no chain) with 100 clients following every channel, for `minutes`; the server's
 * RSS every minute, as found and right after a full collection (the server runs with --expose-gc).
 * Stable when, over the last 15 minutes (the last half of a shorter run), the largest collected RSS
 * is within 10 % of the smallest: between collections V8 lets old space grow to up to ~4× the live
 * heap, so an uncollected sample measures that sawtooth, not what the process keeps. Writes
 * bench/results/soak.json and a dated copy.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { forkRpc, nodeFlags, nowMs } from './ipc.js'
import { mb, openClients, type Fleet, type Log } from './scenarios.js'
import type { Stats } from './serverKit.js'

type SoakStats = Stats & { heapTotalBytes: number; externalBytes: number; rssAfterGcBytes: number; heapAfterGcBytes: number; rssAnonBytes?: number; rssFileBytes?: number }
type Sample = Omit<SoakStats, 'cpuUs' | 'at' | 'slowClosed'> & { minute: number; framesReceived: number; cpuPercent: number }

export async function runSoak({ minutes, clients, log, machine }: { minutes: number; clients: number; log: Log; machine: Record<string, unknown> }): Promise<void> {
  log(`(e) soak: embedded devnet + ${clients} clients on every channel for ${minutes} min, server RSS every minute`)
  const server = forkRpc(new URL('./servers/embedded.ts', import.meta.url).pathname, [], ['--expose-gc', ...nodeFlags('BENCH_SERVER_NODE_FLAGS')])
  const fleet: Fleet = { kind: 'ours', server, url: '', gens: [], clients: 0 }
  const startedAt = new Date()
  try {
    const port = await server.call<number>('start', null, 300_000)
    fleet.url = `ws://127.0.0.1:${port}`
    log(`  serving on ${fleet.url} (devnet deployed, indexer caught up)`)
    const c = await openClients(fleet, clients, 'everything', clients)
    log(`  ${c.established} clients subscribed to trades, prices, tokens and alerts${c.failed ? `, ${c.failed} failed (${c.firstError})` : ''}`)
    const samples: Sample[] = []
    const t0 = nowMs()
    let previous: SoakStats | null = null
    for (let minute = 0; minute <= minutes; minute++) {
      const wait = t0 + minute * 60_000 - nowMs()
      if (wait > 0) await new Promise((r) => setTimeout(r, wait))
      const s = await server.call<SoakStats>('stats')
      const frames = (await Promise.all(fleet.gens.map((g) => g.call<{ frames: number }>('counts')))).reduce((n, x) => n + x.frames, 0)
      const cpuPercent = previous ? Math.round(((s.cpuUs - previous.cpuUs) / 1000 / (s.at - previous.at)) * 1000) / 10 : 0
      previous = s
      const { cpuUs: _cpu, at: _at, slowClosed: _slow, ...memory } = s
      samples.push({ minute, ...memory, framesReceived: frames, cpuPercent })
      log(`  minute ${minute}: RSS ${mb(s.rssBytes)} MB, heap ${mb(s.heapUsedBytes)} of ${mb(s.heapTotalBytes)} MB, external ${mb(s.externalBytes)} MB; collected: RSS ${mb(s.rssAfterGcBytes)} MB (anonymous ${mb(s.rssAnonBytes ?? NaN)}, file-backed ${mb(s.rssFileBytes ?? NaN)}), heap ${mb(s.heapAfterGcBytes)} MB; ${s.connections} connections, ${frames} data frames received so far, CPU ${cpuPercent} %`)
    }
    const span = Math.min(15, minutes / 2)
    const tail = samples.filter((s) => s.minute >= minutes - span)
    const low = Math.min(...tail.map((s) => s.rssAfterGcBytes))
    const high = Math.max(...tail.map((s) => s.rssAfterGcBytes))
    const spreadPercent = Math.round(((high - low) / low) * 1000) / 10
    const stable = spreadPercent <= 10
    log(`  last ${span} min: collected RSS ${mb(low)}–${mb(high)} MB (${spreadPercent} %): ${stable ? 'stable (within 10 %)' : 'NOT within 10 %'}`)
    console.log(`\n| minute | RSS MB | heap MB | collected: RSS MB | collected: heap MB | frames received |\n|---|---|---|---|---|---|\n${samples.map((s) => `| ${s.minute} | ${mb(s.rssBytes)} | ${mb(s.heapUsedBytes)} | ${mb(s.rssAfterGcBytes)} | ${mb(s.heapAfterGcBytes)} | ${s.framesReceived} |`).join('\n')}\n`)
    const out = { machine: { ...machine, date: startedAt.toISOString(), command: `npm run bench -- --soak ${minutes}` }, soak: { minutes, clients, tailMinutes: span, rssSpreadPercent: spreadPercent, stable, samples } }
    mkdirSync(new URL('../results/', import.meta.url), { recursive: true })
    const dated = `soak-${startedAt.toISOString().replace(/:/g, '-').replace(/\.\d+Z$/, 'Z')}.json`
    for (const f of ['soak.json', dated]) writeFileSync(new URL(`../results/${f}`, import.meta.url), `${JSON.stringify(out, null, 2)}\n`)
    log(`wrote bench/results/soak.json and bench/results/${dated}`)
    if (!stable) process.exitCode = 1
  } finally {
    await Promise.all(fleet.gens.map((g) => g.stop()))
    // The server stops its devnet (anvil) before it exits.
    await server.stop(15_000)
  }
}
