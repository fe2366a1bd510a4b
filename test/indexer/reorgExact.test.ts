import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { formatEther, parseEther, toHex, type Address } from 'viem'
import { coreMemePairAbi } from '../../src/devnet/abis.js'
import { startDevnet, type DevnetFixture } from '../support/devnet.js'
import { startTestServer, type TestServer } from '../support/server.js'
import { waitFor } from '../support/waitFor.js'
import { connect, type Received, type TestClient } from '../support/wsClient.js'

/**
 * A reorg replaces blocks that held a whale buy (with its alerts), a launch and a trade of the new
 * token by empty blocks. Every retracted item is named in `reorg` messages, the prices are corrected
 * at once (the new branch never touches the token), and the served state — 24 h stats and candles —
 * equals that of a server started after the reorg, which never saw the removed blocks.
 */

let devnet: DevnetFixture
const servers: TestServer[] = []
const clients: TestClient[] = []

beforeAll(async () => {
  devnet = await startDevnet()
})
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()))
  await Promise.all(servers.map((s) => s.stop()))
  await devnet?.stop()
})

const rpc = (method: string, params: unknown[] = []) => devnet.wallets[0]!.client.request({ method, params } as never) as Promise<unknown>
const head = async () => Number(await devnet.wallets[0]!.client.getBlockNumber({ cacheTime: 0 }))

async function server(start: number, name: string): Promise<TestServer> {
  const s = await startTestServer({
    CORE_NETWORK: 'devnet',
    DEVNET_FILE: devnet.deploymentFile,
    CHECKPOINT_FILE: `${devnet.dir}/checkpoint-${name}.json`,
    START_BLOCK: String(start),
    ALERT_WHALE_USD: '100',
    ALERT_PRICE_PERCENT: '10',
  })
  servers.push(s)
  return s
}

async function processed(s: TestServer): Promise<number> {
  return ((await (await fetch(`http://127.0.0.1:${s.port}/health`)).json()) as { chain: { processed: number } }).chain.processed
}

const get = async (s: TestServer, path: string) => (await fetch(`http://127.0.0.1:${s.port}${path}`)).json() as Promise<Record<string, unknown>>

/** The token's CORE price straight from the pair's reserves. */
async function chainPrice(pair: Address, token: Address): Promise<number> {
  const client = devnet.wallets[0]!.client
  const [[r0, r1], token0] = await Promise.all([
    client.readContract({ address: pair, abi: coreMemePairAbi, functionName: 'getReserves' }),
    client.readContract({ address: pair, abi: coreMemePairAbi, functionName: 'token0' }),
  ])
  const [tokenRaw, coreRaw] = token0 === token ? [r0, r1] : [r1, r0]
  return Number(formatEther(coreRaw)) / Number(formatEther(tokenRaw))
}

describe('a reorg', () => {
  it('retracts every item of the removed blocks, corrects prices at once, and leaves the state of a server that never saw them', async () => {
    const start = (await head()) + 1
    const a = await server(start, 'a')
    const [launcher, trader] = [devnet.wallets[0]!, devnet.wallets[1]!]
    const { token, pair } = await devnet.actions.launchToken({ wallet: launcher, name: 'Steady', symbol: 'STY', supply: parseEther('1000000'), liquidityCore: parseEther('1000'), liquidityTokens: parseEther('500000') })
    await devnet.actions.buy({ wallet: trader, token, amountCore: parseEther('2') })
    const c = await connect(a.url)
    clients.push(c)
    const log: Received[] = []
    c.ws.on('message', (data) => log.push(JSON.parse(data.toString()) as Received))
    for (const [channel, params] of [['trades', { tokens: ['*'] }], ['tokens', {}], ['alerts', { types: ['*'] }], ['prices', { tokens: ['*'] }]] as const) {
      c.send({ type: 'subscribe', channel, params })
      await c.next((m) => m.type === 'subscribed' && m['channel'] === channel)
    }
    await waitFor(async () => (await processed(a)) >= (await head()), { message: 'A caught up before the fork' })
    const priceBefore = await chainPrice(pair, token)
    const statsBefore = (await get(a, `/tokens/${token}`))['stats']

    const snapshot = await rpc('evm_snapshot')
    const forkedAt = await head()
    const whale = await devnet.actions.buy({ wallet: trader, token, amountCore: parseEther('300') })
    const newcomer = await devnet.actions.launchToken({ wallet: launcher, name: 'Orphan', symbol: 'ORF', supply: parseEther('1000000'), liquidityCore: parseEther('100'), liquidityTokens: parseEther('500000') })
    const orphanTrade = await devnet.actions.buy({ wallet: trader, token: newcomer.token, amountCore: parseEther('1') })
    const orphanHead = await head()
    const data = (channel: string) => log.filter((m) => m.type === 'data' && m['channel'] === channel && !m['snapshot'])
    const items = (channel: string) => data(channel).flatMap((m) => (m['data'] as Record<string, Record<string, unknown>[]>)[channel]!)
    await waitFor(() => items('trades').some((t) => t['txHash'] === orphanTrade.txHashes.at(-1)), { message: 'the orphaned trades arrived', timeoutMs: 15_000 })
    const orphanAlerts = items('alerts').map((x) => x['id'] as string) // nothing before the fork was alert-worthy
    expect(orphanAlerts.some((id) => id.startsWith('whale:'))).toBe(true)
    expect(orphanAlerts.some((id) => id.startsWith('price:'))).toBe(true)

    await rpc('evm_revert', [snapshot])
    await rpc('anvil_mine', [toHex(orphanHead - forkedAt + 2), toHex(1)]) // a longer branch of empty blocks
    const reorgs = () => log.filter((m) => m.type === 'reorg')
    await waitFor(() => ['trades', 'tokens', 'alerts'].every((ch) => reorgs().some((m) => m['channel'] === ch)), { message: 'reorg notices on trades, tokens and alerts', timeoutMs: 15_000 })

    const notice = (channel: string) => reorgs().find((m) => m['channel'] === channel)!
    expect(notice('trades')).toMatchObject({ fromBlock: forkedAt + 1, txHashes: expect.arrayContaining([whale.txHashes.at(-1), orphanTrade.txHashes.at(-1)]) })
    expect(notice('tokens')['txHashes']).toContain(items('tokens').find((t) => t['address'] === newcomer.token)!['txHash'])
    expect([...(notice('alerts')['ids'] as string[])].sort()).toEqual([...orphanAlerts].sort())

    // The token never traded on the new branch: its price is corrected right after the notices.
    const afterNotices = log.slice(log.indexOf(reorgs()[0]!)).filter((m) => m.type === 'data' && m['channel'] === 'prices')
    const [fixed] = afterNotices.flatMap((m) => (m['data'] as { prices: Record<string, unknown>[] }).prices).filter((p) => p['tokenAddress'] === token)
    expect(fixed!['priceCore']).toBeCloseTo(await chainPrice(pair, token), 12)
    expect(fixed!['priceCore']).toBeCloseTo(priceBefore, 12)
    await waitFor(async () => (await processed(a)) >= (await head()), { message: 'A caught up after the reorg' })
    expect((await get(a, `/tokens/${token}`))['stats']).toEqual(statsBefore)
    expect(fixed).toEqual(statsBefore)
    expect(await get(a, `/tokens/${newcomer.token}`)).toMatchObject({ error: { code: 'not_found' } })

    // A server that starts now, from the same block, never saw the removed blocks: the same state.
    const b = await server(start, 'b')
    await waitFor(async () => (await processed(b)) >= (await head()), { message: 'B caught up' })
    expect((await get(a, `/tokens/${token}`))['stats']).toEqual((await get(b, `/tokens/${token}`))['stats'])
    for (const interval of ['1m', '5m', '1h']) expect(await get(a, `/tokens/${token}/candles?interval=${interval}`)).toEqual(await get(b, `/tokens/${token}/candles?interval=${interval}`))
    expect(await get(a, `/tokens/${token}/trades`)).toEqual(await get(b, `/tokens/${token}/trades`))
    expect(((await get(a, '/tokens'))['tokens'] as unknown[]).length).toBe(((await get(b, '/tokens'))['tokens'] as unknown[]).length)
  })
})
