import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { keccak256, parseEther, toHex, type Hex } from 'viem'
import { createActions, type DevnetActions } from '../../src/devnet/actions.js'
import { startAnvil, type Anvil, type StartAnvilParameters } from '../../src/devnet/anvil.js'
import { createDevnetWallet, setBalances, type DevnetWallet } from '../../src/devnet/client.js'
import { deployDevnet, type Deployment } from '../../src/devnet/deploy.js'

export type DevnetFixture = {
  anvil: Anvil
  deployment: Deployment
  actions: DevnetActions
  wallets: DevnetWallet[]
  /** A fresh temp directory holding the deployment file (`devnet.json`); put checkpoints here too. */
  dir: string
  deploymentFile: string
  stop(): Promise<void>
}

/**
 * A real anvil (automine unless `blockTime` is given) with our contracts deployed and funded wallets.
 *
 * @example
 * const devnet = await startDevnet()
 * const { token } = await devnet.actions.launchToken({ wallet: devnet.wallets[0]!, … })
 */
export async function startDevnet(options: StartAnvilParameters & { wallets?: number } = {}): Promise<DevnetFixture> {
  const anvil = await startAnvil({ port: 0, ...options })
  const dir = mkdtempSync(join(tmpdir(), 'core-meme-'))
  const deploymentFile = join(dir, 'devnet.json')
  const deployment = await deployDevnet({ rpcUrl: anvil.rpcUrl, wsUrl: anvil.wsUrl, file: deploymentFile })
  const keys = Array.from({ length: options.wallets ?? 4 }, (_, i): Hex => keccak256(toHex(`core-meme test wallet ${i}`)))
  const wallets = keys.map((privateKey) => createDevnetWallet({ rpcUrl: anvil.rpcUrl, chainId: deployment.chainId, privateKey }))
  await setBalances(anvil.rpcUrl, wallets.map((w) => w.address), parseEther('1000000'))
  const actions = createActions({ rpcUrl: anvil.rpcUrl, deployment })
  return { anvil, deployment, actions, wallets, dir, deploymentFile, stop: () => anvil.stop() }
}
