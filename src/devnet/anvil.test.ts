import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { createPublicClient, http } from 'viem'
import { describe, expect, test, vi } from 'vitest'
import { startAnvil } from './anvil.js'
import { isRunning } from '../../test/support/process.js'

const anvilModule = fileURLToPath(new URL('./anvil.ts', import.meta.url))


/** Starts anvil in a child Node process, then makes that process crash or waits for a signal; resolves anvil's pid. */
async function anvilInChild(ending: 'crash' | 'signal') {
  const script = `
    const { startAnvil } = await import(${JSON.stringify(anvilModule)})
    const anvil = await startAnvil({})
    console.log(anvil.pid)
    if (process.argv[1] === 'crash') setTimeout(() => { throw new Error('boom') }, 10)
    else setInterval(() => {}, 1000)`
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, ending], { stdio: ['ignore', 'pipe', 'ignore'] })
  const [chunk] = (await once(child.stdout, 'data')) as [Buffer]
  return { child, anvilPid: Number(chunk.toString().trim()) }
}

describe('startAnvil', () => {
  test('port 0 picks a free port, chainId is applied and stop() ends the process', async () => {
    const anvil = await startAnvil({ port: 0, chainId: 1116 })
    expect(anvil.port).toBeGreaterThan(0)
    expect(anvil.rpcUrl).toBe(`http://127.0.0.1:${anvil.port}`)
    expect(await createPublicClient({ transport: http(anvil.rpcUrl) }).getChainId()).toBe(1116)
    await anvil.stop()
    await anvil.stop()
    expect(isRunning(anvil.pid)).toBe(false)
  })

  test('a port already in use is refused', async () => {
    const first = await startAnvil({ port: 0 })
    try {
      await expect(startAnvil({ port: first.port, startTimeoutMs: 5000 })).rejects.toThrow(/not available/)
    } finally {
      await first.stop()
    }
  })

})

// Each case starts a Node process with tsx (~2 s on 2 cores): run them side by side.
describe.concurrent('anvil outlives no parent', () => {
  test('anvil is killed when the process that started it crashes', async () => {
    const { child, anvilPid } = await anvilInChild('crash')
    await once(child, 'exit')
    await vi.waitFor(() => expect(isRunning(anvilPid)).toBe(false), { timeout: 3000, interval: 50 })
  })

  test.each(['SIGTERM', 'SIGINT'] as const)('anvil is killed when the process that started it gets %s', async (signal) => {
    const { child, anvilPid } = await anvilInChild('signal')
    child.kill(signal)
    const [, exitSignal] = await once(child, 'exit')
    expect(exitSignal).toBe(signal)
    await vi.waitFor(() => expect(isRunning(anvilPid)).toBe(false), { timeout: 3000, interval: 50 })
  })
})
