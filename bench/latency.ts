/**
 * Swap → client latency on the devnet: time from sending a swap transaction (anvil automine) to the
 * moment a WebSocket client subscribed to `trades` receives it. Everything runs on this machine.
 */
import { pino } from 'pino'
import { parseEther } from 'viem'
import WebSocket from 'ws'
import { createApp } from '../src/app.js'
import { parseConfig } from '../src/config/config.js'
import { startDevnet } from '../test/support/devnet.js'

export type LatencyResult = { name: string; samples: number; p50Ms: number; p90Ms: number; p99Ms: number; maxMs: number }

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

export async function benchSwapLatency(samples = 200): Promise<LatencyResult> {
  const devnet = await startDevnet()
  const config = parseConfig({ WS_PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', NODE_ENV: 'production', CORE_NETWORK: 'devnet', DEVNET_FILE: devnet.deploymentFile, CHECKPOINT_FILE: `${devnet.dir}/cp.json` })
  const app = createApp(config, pino({ level: 'silent' }))
  const port = await app.start()
  try {
    const { token } = await devnet.actions.launchToken({ wallet: devnet.wallets[0]!, name: 'Bench', symbol: 'BENCH', supply: parseEther('1000000000'), liquidityCore: parseEther('100000'), liquidityTokens: parseEther('500000000') })
    const ws = new WebSocket(`ws://127.0.0.1:${port}`)
    const arrivals = new Map<string, number>()
    const waiters = new Map<string, () => void>()
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as { type: string; data?: { trades?: { txHash: string }[] } }
      for (const t of m.data?.trades ?? []) {
        arrivals.set(t.txHash, performance.now())
        waiters.get(t.txHash)?.()
      }
    })
    await new Promise((resolve) => ws.once('open', resolve))
    ws.send(JSON.stringify({ type: 'subscribe', channel: 'trades', params: { tokens: ['*'] } }))
    const latencies: number[] = []
    for (let i = 0; i < samples; i++) {
      const sent = performance.now()
      const { txHashes } = await devnet.actions.buy({ wallet: devnet.wallets[1 + (i % 3)]!, token, amountCore: parseEther('0.01') })
      const hash = txHashes.at(-1)!
      if (!arrivals.has(hash)) await new Promise<void>((resolve) => waiters.set(hash, resolve))
      latencies.push(arrivals.get(hash)! - sent)
    }
    ws.close()
    const sorted = latencies.sort((a, b) => a - b)
    const r = (x: number) => Math.round(x * 10) / 10
    return { name: 'swap → client (devnet, automine, WS newHeads)', samples, p50Ms: r(percentile(sorted, 50)), p90Ms: r(percentile(sorted, 90)), p99Ms: r(percentile(sorted, 99)), maxMs: r(sorted.at(-1)!) }
  } finally {
    await app.stop()
    await devnet.stop()
  }
}
