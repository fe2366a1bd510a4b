import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort } from '../../src/devnet/anvil.js'
import { startTestRedis, type TestRedis } from '../support/redisServer.js'
import { startServerProcess, type ServerProcess } from '../support/serverProcess.js'
import { waitFor } from '../support/waitFor.js'
import { open, tryOpen, type RawClient } from '../scaleout/rawClient.js'
import { compose, findBinary, interpolateUnset, root } from './deployFiles.js'

/**
 * deploy/haproxy.cfg with the real HAProxy binary (Debian's `haproxy` package): `haproxy -c` with
 * the environment docker-compose.yml gives it, then the very same file run in front of two real
 * `ROLE=gateway` processes (plus an indexer, on a Redis of the test's own, CORE_NETWORK=none).
 * Without the binary these tests are skipped, except under CI (CI=true), where that is a failure:
 * .ci/run must `apt-get install -y haproxy`.
 */

const CONFIG = 'deploy/haproxy.cfg'
const haproxy = findBinary('haproxy')

describe(`${CONFIG} without the haproxy binary`, () => {
  it.runIf(haproxy === null)('haproxy is not installed (apt-get install -y haproxy): the config check and the load-balancer tests are skipped', (ctx) => {
    if (process.env['CI']) throw new Error('CI must run the HAProxy tests: install it in .ci/run (apt-get install -y haproxy)')
    ctx.skip()
  })
})

describe.skipIf(haproxy === null)(`${CONFIG} with the real haproxy binary`, () => {
  const check = (env: Record<string, string>) => spawnSync(haproxy!, ['-c', '-f', CONFIG], { cwd: root, encoding: 'utf8', env: { ...process.env, ...env } })

  it('passes haproxy -c with the environment docker-compose.yml gives the lb service', () => {
    const lbEnv = Object.fromEntries(Object.entries(compose().services['lb']!.environment ?? {}).map(([k, v]) => [k, interpolateUnset(v ?? '')]))
    const result = check(lbEnv)
    expect(result.status, result.stderr).toBe(0)
    expect(result.stdout).toContain('Configuration file is valid')
    // Outside the compose network the gateway names do not resolve: init-addr none starts them DOWN, no error.
    expect(result.stderr).not.toMatch(/ALERT/)
  })

  it('passes haproxy -c without a warning on loopback addresses (as the test below runs it)', () => {
    const result = check({ LB_BIND: '127.0.0.1:13003', STATS_BIND: '127.0.0.1:18404', GATEWAY1: '127.0.0.1:13013', GATEWAY2: '127.0.0.1:13023' })
    expect(result.status, result.stderr).toBe(0)
    expect(result.stderr).not.toMatch(/WARNING|ALERT/)
  })

  describe('in front of two gateway processes', () => {
    let redis: TestRedis
    const processes: ServerProcess[] = []
    let gateways: [ServerProcess, ServerProcess]
    let lb: ChildProcess
    let lbOutput = ''
    let lbUrl: string
    let statsUrl: string
    const clients: RawClient[] = []
    let ip = 10
    /** A client IP of its own (any 127.0.0.0/8 address on Linux): the gateways cap connections per IP. */
    const freshIp = () => `127.0.0.${ip++}`

    async function client(address = freshIp()): Promise<RawClient> {
      const c = await open(lbUrl, address)
      clients.push(c)
      return c
    }

    /** The gateways backend's servers as HAProxy's stats CSV shows them: status (UP/DOWN…), last check and its HTTP code. */
    async function servers(): Promise<Record<string, { status: string; check: string; code: string; sessions: number }>> {
      const csv = await (await fetch(`${statsUrl}/;csv`)).text()
      const [header, ...rows] = csv.trim().split('\n')
      const cols = header!.replace(/^# /, '').split(',')
      const at = (row: string[], name: string) => row[cols.indexOf(name)] ?? ''
      const out: Record<string, { status: string; check: string; code: string; sessions: number }> = {}
      for (const row of rows.map((r) => r.split(','))) {
        if (at(row, 'pxname') !== 'gateways' || at(row, 'svname') === 'BACKEND') continue
        out[at(row, 'svname')] = { status: at(row, 'status'), check: at(row, 'check_status'), code: at(row, 'check_code'), sessions: Number(at(row, 'scur')) }
      }
      return out
    }

    const connections = async (g: ServerProcess) => (await g.health())['connections'] as number

    beforeAll(async () => {
      redis = await startTestRedis()
      const shared = { REDIS_URL: redis.url, REDIS_PREFIX: 'lb:', CORE_NETWORK: 'none' }
      // As in docker-compose.yml (TRUST_PROXY=1), with a per-IP cap of 2 to see which IP the gateways count,
      // and a drain grace well past HAProxy's detection (inter 1s x fall 2) so the order is not a race.
      const gatewayEnv = { ...shared, ROLE: 'gateway', TRUST_PROXY: '1', MAX_CONNECTIONS_PER_IP: '2', DRAIN_GRACE_MS: '6000', DRAIN_SPREAD_MS: '1000', SHUTDOWN_TIMEOUT_MS: '10000' }
      // Gateways answer /health at once and /ready once the indexer has started the bus: HAProxy waits for that.
      const started = await Promise.allSettled([startServerProcess({ ...shared, ROLE: 'indexer' }), startServerProcess(gatewayEnv), startServerProcess(gatewayEnv)])
      for (const s of started) if (s.status === 'fulfilled') processes.push(s.value)
      for (const s of started) if (s.status === 'rejected') throw s.reason
      gateways = [processes[1]!, processes[2]!]

      const [lbPort, statsPort] = [await freePort(), await freePort()]
      lbUrl = `ws://127.0.0.1:${lbPort}`
      statsUrl = `http://127.0.0.1:${statsPort}`
      lb = spawn(haproxy!, ['-db', '-f', CONFIG], {
        cwd: root,
        env: { ...process.env, LB_BIND: `127.0.0.1:${lbPort}`, STATS_BIND: `127.0.0.1:${statsPort}`, GATEWAY1: `127.0.0.1:${gateways[0].port}`, GATEWAY2: `127.0.0.1:${gateways[1].port}` },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      process.once('exit', () => lb.kill('SIGKILL'))
      lb.stdout!.on('data', (d: Buffer) => (lbOutput += d.toString()))
      lb.stderr!.on('data', (d: Buffer) => (lbOutput += d.toString()))
      await waitFor(async () => {
        const s = await servers()
        // UP after `rise` (2) passing checks of /ready; a gateway still starting answers 503 (DOWN).
        return s['gateway1']?.status === 'UP' && s['gateway2']?.status === 'UP'
      }, { message: 'HAProxy has both gateways UP', intervalMs: 100 }).catch((err: unknown) => {
        throw new Error(`haproxy output:\n${lbOutput.slice(-3000)}`, { cause: err })
      })
    })

    afterAll(async () => {
      for (const c of clients) c.ws.terminate()
      if (lb && lb.exitCode === null && lb.signalCode === null) {
        lb.kill('SIGTERM')
        await once(lb, 'exit')
      }
      await Promise.all(processes.map((p) => p.stop()))
      await redis?.stop()
    })

    it('checks each gateway on GET /ready (200) and deals WebSocket connections to both', async () => {
      const s = await servers()
      expect(s['gateway1']).toMatchObject({ status: 'UP', check: 'L7OK', code: '200' })
      expect(s['gateway2']).toMatchObject({ status: 'UP', check: 'L7OK', code: '200' })
      // The stats port also serves HAProxy's own Prometheus metrics.
      expect(await (await fetch(`${statsUrl}/metrics`)).text()).toMatch(/^haproxy_server_status\{proxy="gateways",server="gateway1",state="UP"\} 1$/m)

      const opened = [await client(), await client(), await client(), await client()]
      const counts = await Promise.all(gateways.map(connections))
      expect(counts[0]! + counts[1]!).toBe(4)
      expect(counts[0]).toBeGreaterThan(0)
      expect(counts[1]).toBeGreaterThan(0)

      // The tunnel carries both ways: a JSON ping gets its pong through HAProxy.
      opened[0]!.send({ type: 'ping', id: 'p' })
      expect(await opened[0]!.find((m) => m.type === 'pong')).toMatchObject({ type: 'pong', id: 'p' })
    })

    it('passes the client IP in X-Forwarded-For: the per-IP cap counts clients, not HAProxy', async () => {
      const shared = freshIp()
      await client(shared)
      await client(shared)
      // A third from the same address is refused by whichever gateway gets it (the count is in Redis)…
      const third = await tryOpen(lbUrl, shared)
      if (!('status' in third)) clients.push(third)
      expect(third).toMatchObject({ status: 429, body: { error: { code: 'too_many_connections' } } })
      // …while HAProxy itself, the socket peer of every connection, already holds far more than 2.
      await client()
    })

    it('a draining gateway leaves the pool before it closes its clients; they reconnect to the other', async () => {
      const [leaving, staying] = gateways
      const onLeaving = await connections(leaving)
      expect(onLeaving).toBeGreaterThan(0)
      const closes = clients.map((c) => c.closed)
      const closedCodes: number[] = []
      for (const c of closes) void c.then((code) => closedCodes.push(code))

      const exited = leaving.stop() // SIGTERM: /ready → 503 at once, clients closed DRAIN_GRACE_MS later
      const down = await waitFor(async () => {
        const g = (await servers())['gateway1']
        return g?.status === 'DOWN' && g
      }, { message: 'HAProxy marked gateway1 DOWN', intervalMs: 50 })
      // DOWN because /ready answered 503 (a layer-7 status), not because the gateway stopped listening…
      expect(down).toMatchObject({ check: 'L7STS', code: '503' })
      // …and before the gateway closed anyone.
      expect(closedCodes).toEqual([])

      // New connections go to the other gateway only.
      const before = await connections(staying)
      await client()
      expect(await connections(staying)).toBe(before + 1)

      // The leaving gateway's clients get 1012 (service restart) and come back through HAProxy.
      await waitFor(() => closedCodes.length === onLeaving, { timeoutMs: 15_000, message: `${onLeaving} clients closed by the draining gateway` })
      expect(closedCodes).toEqual(Array(onLeaving).fill(1012))
      expect(await exited).toBe(0)
      const total = await connections(staying)
      await Promise.all(Array.from({ length: onLeaving }, () => client()))
      expect(await connections(staying)).toBe(total + onLeaving)
      expect((await servers())['gateway2']).toMatchObject({ status: 'UP' })
    })
  })
})
