import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { describe, expect, it } from 'vitest'
import { connect } from '../support/wsClient.js'
import { startTestServer } from '../support/server.js'

describe('heartbeat', () => {
  it('terminates a client that misses a pong and keeps one that answers', async () => {
    const server = await startTestServer({ HEARTBEAT_INTERVAL_MS: '1000' })
    try {
      const silent = await connect(server.url, { autoPong: false })
      const healthy = await connect(server.url)
      let pings = 0
      silent.ws.on('ping', () => pings++)
      const { code } = await silent.closed
      expect(code).toBe(1006)
      expect(pings).toBe(1)
      healthy.send({ type: 'ping' })
      expect(await healthy.next()).toMatchObject({ type: 'pong' })
      expect(server.gateway.connections()).toBe(1)
      await healthy.close()
    } finally {
      await server.stop()
    }
  })
})

describe('shutdown', () => {
  it('closes every client with 1001 when the app stops', async () => {
    const server = await startTestServer()
    const a = await connect(server.url)
    const b = await connect(server.url)
    await server.stop()
    expect(await a.closed).toEqual({ code: 1001, reason: 'server shutting down' })
    expect((await b.closed).code).toBe(1001)
  })

  it('exits 0 on SIGTERM after closing clients with 1001', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/index.ts'], {
      env: { ...process.env, WS_PORT: '0', HOST: '127.0.0.1', NODE_ENV: 'production', LOG_LEVEL: 'info', CORE_NETWORK: 'none' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const port = await new Promise<number>((resolve, reject) => {
      let out = ''
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString()
        const m = /"port":(\d+)/.exec(out)
        if (m) resolve(Number(m[1]))
      })
      child.once('exit', (code) => reject(new Error(`server exited early with ${code}: ${out}`)))
    })
    const c = await connect(`ws://127.0.0.1:${port}`)
    const exited = once(child, 'exit')
    child.kill('SIGTERM')
    expect((await c.closed).code).toBe(1001)
    const [code] = await exited
    expect(code).toBe(0)
  })
})
