/**
 * What the three servers under test share: the IPC commands of the bench and the publishers that
 * drive them. Each server is its own child process (bench/suite/servers/*.ts) and implements
 * `Target`; this module runs the publishing inside that process, so the publish time stamped into
 * each message (`sentAt`) is taken where the fan-out happens.
 *
 *   start                → the bound port
 *   stats { gc }         → { cpuUs, rssBytes, heapUsedBytes, connections, slowClosed, at }
 *   run { rate, warmupMs, windowMs, maxRssBytes }       → `RunResult` (fan-out at a fixed rate)
 *   blocks { count, intervalMs, warmup, seed, maxRssBytes } → `BlocksResult` (the realistic workload)
 *   exit
 */
import { PerformanceObserver } from 'node:perf_hooks'
import { nowMs, serveRpc } from './ipc.js'
import { fanoutTrade, planBlock, stampBlock, type Block, type Stamp } from './workload.js'
import type { TradeItem } from '../../src/protocol/items.js'

export type Target = {
  start(): Promise<number>
  connections(): number
  /** Clients the server closed for being slow (ours: 4008). */
  slowClosed(): number
  /** One fan-out message to every client (ours: trades "*"; peers: room `trades:*`). */
  publishTrade(item: TradeItem & Stamp): void
  /** One block: its trades, prices and alerts to whoever selects them. */
  publishBlock(block: Block): void
}

export type Stats = { cpuUs: number; rssBytes: number; heapUsedBytes: number; connections: number; slowClosed: number; at: number }
export type RunArgs = { rate: number; warmupMs: number; windowMs: number; maxRssBytes: number }
export type RunResult = {
  published: number
  firstK: number
  /** The measured window: from the first tick after the warm-up to the end of publishing. */
  windowStartMs: number
  windowEndMs: number
  publishedInWindow: number
  cpuMsInWindow: number
  rssMaxBytes: number
  aborted: string | null
}
export type BlocksArgs = { count: number; intervalMs: number; warmup: number; seed: number; maxRssBytes: number }
export type BlocksResult = {
  /**
   * Per block: `publishMs` the synchronous publish; `routeMs` publish → the first immediate after it,
   * i.e. the block's routing (every message queued for every client) before any client's write
   * (ours and raw queue and write on a later immediate; Socket.IO writes while it broadcasts, so its
   * figure includes the writes).
   */
  blocks: { k: number; sentAt: number; measured: boolean; trades: number; prices: number; alerts: number; publishMs: number; routeMs: number }[]
  /** This process's GC pauses from the first measured block on: [start (the `nowMs` clock), duration ms]. */
  gcPauses: [number, number][]
  windowStartMs: number
  windowEndMs: number
  cpuMsInWindow: number
  rssMaxBytes: number
  aborted: string | null
}

const gc = (globalThis as { gc?: () => void }).gc

/** GC pauses of this process as [start (the `nowMs` clock), duration ms], the newest last (bounded). */
const gcPauses: [number, number][] = []
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcPauses.push([performance.timeOrigin + entry.startTime, entry.duration])
  if (gcPauses.length > 10_000) gcPauses.splice(0, gcPauses.length - 10_000)
}).observe({ entryTypes: ['gc'] })

export function runServer(target: Target): void {
  /** Message and block numbers run on across commands, so a late frame is never confused with a new one. */
  let nextK = 1

  function stats(): Stats {
    const cpu = process.cpuUsage()
    return { cpuUs: cpu.user + cpu.system, rssBytes: process.memoryUsage.rss(), heapUsedBytes: process.memoryUsage().heapUsed, connections: target.connections(), slowClosed: target.slowClosed(), at: nowMs() }
  }

  /**
   * Publishes `rate` messages per second for warmupMs + windowMs, on schedule (message n at
   * n / rate s). When the process is late (a long fan-out turn) it publishes what is due at once,
   * as a bus subscriber receives what arrived meanwhile; at most 1 s worth per timer tick, so a
   * server that stalls for longer publishes less than asked (reported as publishedPerSec).
   */
  function run({ rate, warmupMs, windowMs, maxRssBytes }: RunArgs): Promise<RunResult> {
    return new Promise((resolve) => {
      const t0 = nowMs()
      const firstK = nextK
      const cap = Math.max(1, Math.ceil(rate))
      let published = 0
      let inWindow = 0
      let windowStart: { at: number; cpu: NodeJS.CpuUsage } | null = null
      let rssMax = 0
      let lastRssCheck = 0
      let aborted: string | null = null
      const tick = () => {
        const now = nowMs()
        if (now - t0 >= warmupMs + windowMs || aborted) {
          const cpu = process.cpuUsage(windowStart?.cpu)
          resolve({
            published,
            firstK,
            windowStartMs: windowStart?.at ?? now,
            windowEndMs: now,
            publishedInWindow: inWindow,
            cpuMsInWindow: windowStart ? (cpu.user + cpu.system) / 1000 : 0,
            rssMaxBytes: Math.max(rssMax, process.memoryUsage.rss()),
            aborted,
          })
          return
        }
        if (!windowStart && now - t0 >= warmupMs) windowStart = { at: now, cpu: process.cpuUsage() }
        const due = Math.floor(((now - t0) * rate) / 1000) + 1
        for (let burst = Math.min(due - published, cap); burst > 0; burst--) {
          const m = windowStart ? 1 : 0
          target.publishTrade(fanoutTrade({ sentAt: nowMs(), k: nextK++, m }))
          published++
          inWindow += m
        }
        if (now - lastRssCheck >= 100) {
          lastRssCheck = now
          const rss = process.memoryUsage.rss()
          rssMax = Math.max(rssMax, rss)
          if (rss > maxRssBytes) aborted = `server RSS ${Math.round(rss / 2 ** 20)} MB > ${Math.round(maxRssBytes / 2 ** 20)} MB: stopped publishing`
        }
        const nextAt = t0 + (published * 1000) / rate
        setTimeout(tick, Math.max(0, nextAt - nowMs()))
      }
      tick()
    })
  }

  /** Publishes `count` blocks, one every `intervalMs` (the first `warmup` ones unmeasured). */
  function blocks({ count, intervalMs, warmup, seed, maxRssBytes }: BlocksArgs): Promise<BlocksResult> {
    const plans = Array.from({ length: count }, (_, i) => planBlock(seed, i))
    return new Promise((resolve) => {
      const t0 = nowMs()
      const out: BlocksResult['blocks'] = []
      let windowStart: { at: number; cpu: NodeJS.CpuUsage } | null = null
      let rssMax = 0
      let aborted: string | null = null
      let i = 0
      const tick = () => {
        const now = nowMs()
        if (i === count || aborted) {
          const cpu = process.cpuUsage(windowStart?.cpu)
          const from = windowStart?.at ?? now
          // GC entries are delivered asynchronously: wait a turn so the last pauses are in.
          setImmediate(() =>
            resolve({ blocks: out, gcPauses: gcPauses.filter(([at]) => at >= from), windowStartMs: from, windowEndMs: now, cpuMsInWindow: windowStart ? (cpu.user + cpu.system) / 1000 : 0, rssMaxBytes: rssMax, aborted }),
          )
          return
        }
        if (i === warmup) windowStart = { at: now, cpu: process.cpuUsage() }
        const plan = plans[i]!
        const k = nextK++
        const sentAt = nowMs()
        const block = { k, sentAt, measured: i >= warmup, trades: plan.trades.length, prices: plan.prices.length, alerts: plan.alerts.length, publishMs: 0, routeMs: 0 }
        // Scheduled before the publish, so it runs after the routing (synchronous, or microtasks on
        // our memory bus) and before the servers' own flush immediates.
        setImmediate(() => void (block.routeMs = nowMs() - sentAt))
        target.publishBlock(stampBlock(plan, { sentAt, k, m: i >= warmup ? 1 : 0 }))
        block.publishMs = nowMs() - sentAt
        out.push(block)
        i++
        const rss = process.memoryUsage.rss()
        rssMax = Math.max(rssMax, rss)
        if (rss > maxRssBytes) aborted = `server RSS ${Math.round(rss / 2 ** 20)} MB > ${Math.round(maxRssBytes / 2 ** 20)} MB: stopped publishing`
        // The last block gets a full interval too: the window ends one interval after it.
        setTimeout(tick, Math.max(0, t0 + i * intervalMs - nowMs()))
      }
      tick()
    })
  }

  serveRpc({
    start: () => target.start(),
    stats: (args: { gc?: boolean } | null) => {
      if (args?.gc && gc) {
        gc()
        gc()
      }
      return stats()
    },
    run: (args: RunArgs) => run(args),
    blocks: (args: BlocksArgs) => blocks(args),
  })
}
