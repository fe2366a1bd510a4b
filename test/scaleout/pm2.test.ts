/**
 * The production scale-out, for real: `npm run build`, then `pm2 start ecosystem.config.cjs` (the
 * project's pm2, a private PM2_HOME) runs one indexer (fork mode) and two gateways (cluster mode,
 * one shared WS_PORT) on the shared Redis under a prefix of their own, following a standalone
 * devnet. Clients connect to WS_PORT as they would in production.
 */
import { execFile } from 'node:child_process'
import { Redis } from 'ioredis'
import { getAddress, parseEther, type Address } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort } from '../../src/devnet/anvil.js'
import { startDevnet, type DevnetFixture } from '../support/devnet.js'
import { uniquePrefix } from '../support/redisServer.js'
import { waitFor } from '../support/waitFor.js'
import { connect, type Received, type TestClient } from '../support/wsClient.js'
import { alive, createPm2Home, getJson, repoRoot, waitForGateways, type Pm2Home } from './pm2Home.js'

const REDIS_URL = 'redis://127.0.0.1:6379'
const prefix = uniquePrefix('pm2')
let devnet: DevnetFixture
let token: Address
let pm2: Pm2Home
let wsPort: number
let indexerPort: number
const clients: TestClient[] = []

/** The gateway pids that logged "listening on ws://…" (each instance, once its listener is up). */
const listeningGateways = () => pm2.loggedBy('cmws-gateway', 'listening on ws://')

beforeAll(async () => {
  // The same start command as production runs the same build: compile src/ into dist/ first.
  await new Promise<void>((resolve, reject) =>
    execFile('npm', ['run', 'build'], { cwd: repoRoot }, (err, stdout, stderr) => (err ? reject(new Error(`npm run build failed:\n${stdout}${stderr}`)) : resolve())),
  )
  devnet = await startDevnet()
  ;({ token } = await devnet.actions.launchToken({ wallet: devnet.wallets[0]!, name: 'Scaled', symbol: 'SCL', supply: parseEther('1000000'), liquidityCore: parseEther('1000'), liquidityTokens: parseEther('500000') }))
  const next = (await devnet.wallets[0]!.client.getBlockNumber({ cacheTime: 0 })) + 1n
  ;[wsPort, indexerPort] = [await freePort(), await freePort()]
  pm2 = createPm2Home()
  await pm2.start({
    GATEWAYS: '2',
    WS_PORT: String(wsPort),
    INDEXER_PORT: String(indexerPort),
    HOST: '127.0.0.1',
    REDIS_URL,
    REDIS_PREFIX: prefix,
    CORE_NETWORK: 'devnet',
    DEVNET_FILE: devnet.deploymentFile,
    CHECKPOINT_FILE: `${devnet.dir}/checkpoint.json`,
    START_BLOCK: String(next),
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    SHUTDOWN_TIMEOUT_MS: '3000',
    DRAIN_GRACE_MS: '300',
    DRAIN_SPREAD_MS: '300',
  })
  try {
    await waitFor(() => listeningGateways().size === 2, { timeoutMs: 30_000, intervalMs: 100, message: 'both gateways listening' })
    await waitFor(async () => (await getJson(indexerPort, '/health')).status === 'ok', { timeoutMs: 30_000, intervalMs: 100, message: 'the indexer answers /health' })
    await waitForGateways(wsPort)
  } catch (err) {
    const logs = ['cmws-gateway', 'cmws-indexer'].map((app) => `${app}:\n${pm2.output(app).slice(-1500)}`).join('\n')
    throw new Error(`the ecosystem did not start:\n${logs}\npm2.log:\n${pm2.daemonLog().slice(-1500)}`, { cause: err })
  }
})

afterAll(async () => {
  for (const c of clients) c.ws.terminate()
  if (pm2) {
    await pm2.kill()
    pm2.remove()
  }
  await devnet?.stop()
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 })
  try {
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500)
      if (keys.length > 0) await redis.unlink(...keys)
      cursor = next
    } while (cursor !== '0')
  } finally {
    redis.disconnect()
  }
})

describe('pm2 ecosystem: 1 indexer + 2 gateways on one port, on Redis', () => {
  it('pm2 jlist shows the indexer (fork) and two gateway instances (cluster) online', async () => {
    const list = await pm2.list()
    const indexers = list.filter((p) => p.name === 'cmws-indexer')
    const gateways = list.filter((p) => p.name === 'cmws-gateway')
    expect(indexers).toEqual([expect.objectContaining({ status: 'online', execMode: 'fork_mode', restarts: 0 })])
    expect(gateways).toHaveLength(2)
    for (const g of gateways) expect(g).toMatchObject({ status: 'online', execMode: 'cluster_mode', restarts: 0 })
    expect(new Set(gateways.map((g) => g.pid)).size).toBe(2)
    expect(listeningGateways()).toEqual(new Set(gateways.map((g) => g.pid)))
  })

  it('both gateways answer /health on WS_PORT as gateways on a connected Redis bus; the indexer on its own port', async () => {
    const indexer = await getJson(indexerPort, '/health')
    expect(indexer).toMatchObject({ status: 'ok', role: 'indexer', bus: { kind: 'redis', connected: true } })
    // /health reports the connections of the process that answers: with one client open, one
    // gateway says 1 and the other 0, so seeing both proves two processes answer on WS_PORT.
    const probe = await connect(`ws://127.0.0.1:${wsPort}`)
    clients.push(probe)
    const seen = new Set<number>()
    const epochs = new Set<string>()
    await waitFor(async () => {
      const health = await getJson(wsPort, '/health')
      expect(health).toMatchObject({ status: 'ok', role: 'gateway', bus: { kind: 'redis', connected: true, epoch: expect.any(String) } })
      epochs.add((health['bus'] as { epoch: string }).epoch)
      seen.add(health['connections'] as number)
      return seen.has(0) && seen.has(1)
    }, { timeoutMs: 10_000, message: 'two gateways answer /health (connection counts 0 and 1)' })
    expect([...seen].sort()).toEqual([0, 1])
    expect(epochs.size).toBe(1) // one bus: both gateways number messages alike
  })

  it('a buy on the devnet reaches a trades "*" subscriber on each gateway (matched by tx hash)', async () => {
    const url = `ws://127.0.0.1:${wsPort}`
    for (const c of clients.splice(0)) await c.close()
    // Open subscribers until they sit on both gateways: with k clients in all, a gateway that
    // reports 0 < n < k connections proves the other holds the rest.
    const subscribers: TestClient[] = []
    for (;;) {
      const c = await connect(url)
      clients.push(c)
      subscribers.push(c)
      c.send({ type: 'subscribe', channel: 'trades', params: { tokens: ['*'] } })
      expect(await c.next((m) => m.type === 'subscribed' || m.type === 'error')).toMatchObject({ type: 'subscribed', channel: 'trades' })
      // Two samples: the cluster deals connections round-robin, so one sample could keep landing on
      // the same gateway in lockstep with the client connections.
      const counts = [(await getJson(wsPort, '/health'))['connections'], (await getJson(wsPort, '/health'))['connections']] as number[]
      if (counts.some((n) => n > 0 && n < subscribers.length)) break
      expect(subscribers.length).toBeLessThan(8)
    }
    const { txHashes } = await devnet.actions.buy({ wallet: devnet.wallets[1]!, token, amountCore: parseEther('1') })
    const txHash = txHashes.at(-1)!
    const isOurTrade = (m: Received) => m.type === 'data' && m['channel'] === 'trades' && (m['data'] as { trades: { txHash: string }[] }).trades.some((t) => t.txHash === txHash)
    const received = await Promise.all(subscribers.map((c) => c.next(isOurTrade, 20_000)))
    for (const m of received) {
      const trade = (m['data'] as { trades: Record<string, unknown>[] }).trades.find((t) => t['txHash'] === txHash)
      expect(trade).toMatchObject({ txHash, tokenAddress: getAddress(token), trader: getAddress(devnet.wallets[1]!.address), type: 'buy' })
    }
    // Both gateways relay the same bus message: same seq everywhere.
    expect(new Set(received.map((m) => m['seq'])).size).toBe(1)
  })

  it('pm2 kill: SIGINT drains the clients (1012: reconnect now), every process exits 0, none is left', async () => {
    const tree = pm2.processTree()
    const apps = (await pm2.list()).map((p) => p.pid)
    expect(tree).toEqual(expect.arrayContaining([pm2.daemonPid()!, ...apps]))
    const closes = clients.map((c) => c.closed)
    const { pids, leftovers } = await pm2.kill()
    expect(leftovers).toEqual([])
    expect(pids).toEqual(expect.arrayContaining(tree))
    for (const pid of pids) expect(alive(pid)).toBe(false)
    for (const { code } of await Promise.all(closes)) expect(code).toBe(1012)
    const exits = [...pm2.daemonLog().matchAll(/App \[(cmws-\w+):\d+\] exited with code \[(\d+)\] via signal \[(\w+)\]/g)].map(([, name, code, signal]) => ({ name, code, signal }))
    expect(exits.sort((a, b) => a.name!.localeCompare(b.name!))).toEqual([
      { name: 'cmws-gateway', code: '0', signal: 'SIGINT' },
      { name: 'cmws-gateway', code: '0', signal: 'SIGINT' },
      { name: 'cmws-indexer', code: '0', signal: 'SIGINT' },
    ])
    for (const app of ['cmws-gateway', 'cmws-indexer']) expect(pm2.output(app).match(/"msg":"stopped"/g)).toHaveLength(app === 'cmws-gateway' ? 2 : 1)
  })
})
