import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { keccak256, parseEther, toHex } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createActions } from '../../src/devnet/actions.js'
import { createDevnetWallet, setBalances, type DevnetWallet } from '../../src/devnet/client.js'
import { readDeployment } from '../../src/devnet/deploy.js'
import { startServerProcess, type ServerProcess } from '../support/serverProcess.js'
import { waitFor } from '../support/waitFor.js'

/**
 * `examples/tradingBot.ts` as the README runs it, against a server with its embedded devnet: it
 * prints the launch, the token's trade and the whale alert the chain produced, and exits with 0 on
 * SIGINT. The import of `core-meme-websocket/client` resolves to the source (`--conditions=source`),
 * so the test does not depend on a build.
 */

let server: ServerProcess
let bot: ChildProcess
let output = ''
let wallets: DevnetWallet[]
let actions: ReturnType<typeof createActions>

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'core-meme-bot-'))
  const devnetFile = join(dir, 'devnet.json')
  server = await startServerProcess({ CORE_NETWORK: 'embedded', SIMULATOR: 'false', DEVNET_RPC_PORT: '0', DEVNET_BLOCK_TIME: '0', DEVNET_FILE: devnetFile }, { timeoutMs: 60_000 })
  // Ready: the devnet is deployed (its file written) and the indexer has caught up with it.
  await waitFor(async () => (await fetch(`${server.http}/ready`)).status === 200, { timeoutMs: 60_000, message: 'the server is ready' })
  const deployment = await readDeployment(devnetFile)
  actions = createActions({ rpcUrl: deployment.rpcUrl, deployment })
  wallets = [0, 1].map((i) => createDevnetWallet({ rpcUrl: deployment.rpcUrl, chainId: deployment.chainId, privateKey: keccak256(toHex(`bot example wallet ${i}`)) }))
  await setBalances(deployment.rpcUrl, wallets.map((w) => w.address), parseEther('100000'))
}, 90_000)

afterAll(async () => {
  if (bot?.exitCode === null) bot.kill('SIGKILL')
  await server?.stop()
})

const lines = () => output.split('\n')
async function printed(pattern: RegExp, what: string): Promise<void> {
  try {
    await waitFor(() => lines().some((l) => pattern.test(l)), { timeoutMs: 20_000, message: `the bot printed ${what}` })
  } catch (err) {
    throw new Error(`${(err as Error).message}; it printed:\n${output}\nthe server:\n${server.output().slice(-3000)}`, { cause: err })
  }
}

describe('the trading-bot example', () => {
  it('follows a launch, prints its trade and its whale, and exits when asked', async () => {
    bot = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'examples/tradingBot.ts', server.url], { stdio: ['ignore', 'pipe', 'pipe'] })
    bot.stdout!.on('data', (d: Buffer) => (output += d.toString()))
    bot.stderr!.on('data', (d: Buffer) => (output += d.toString()))
    await printed(/ following launches$/, 'that it follows launches')

    const { token } = await actions.launchToken({ wallet: wallets[0]!, name: 'Bot Frog', symbol: 'BFROG', supply: parseEther('1000000'), liquidityCore: parseEther('100'), liquidityTokens: parseEther('500000') })
    await printed(new RegExp(` launch BFROG ${token} by ${wallets[0]!.address}, 100 CORE of liquidity$`), 'the launch')
    await printed(/ watching trades of 1 token\(s\)$/, 'that it watches the token')

    const { txHashes } = await actions.buy({ wallet: wallets[1]!, token, amountCore: parseEther('50') })
    const buyTx = txHashes.at(-1)!
    await printed(new RegExp(` buy BFROG 50 CORE \\(\\$[\\d.]+\\) by ${wallets[1]!.address} in ${buyTx}$`), 'the buy')
    await printed(/ WHALE BFROG: /, 'the whale alert')

    bot.kill('SIGINT')
    const [code] = (await once(bot, 'exit')) as [number | null]
    expect(code).toBe(0)
    expect(lines().filter((l) => / \[(connecting|connected|reconnecting|closed)\] /.test(l)).map((l) => l.split(' ')[1])).toEqual(['[connected]', '[closed]'])
    expect(lines().filter((l) => / (buy|sell) /.test(l))).toHaveLength(1)
  }, 60_000)
})
