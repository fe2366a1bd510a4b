/**
 * `npm run devnet`: a local Core-like chain with a live meme market.
 * Starts anvil, deploys WCORE, USDT, the CoreMemeSwap DEX and the token launcher, writes the
 * deployment file and runs the market simulator until Ctrl-C. Reads the server's configuration
 * (README, "Configuration"): DEVNET_RPC_PORT, DEVNET_BLOCK_TIME (0 = one block per transaction),
 * DEVNET_FILE, SIMULATOR, SIM_SEED, LOG_LEVEL.
 */
import { loadConfigOrExit } from '../src/config/loadConfig.js'
import { startAnvil } from '../src/devnet/anvil.js'
import { deployDevnet } from '../src/devnet/deploy.js'
import { createSimulator } from '../src/devnet/simulator.js'
import { createLogger } from '../src/logger.js'

const config = loadConfigOrExit()
const log = createLogger(config)
const port = config.DEVNET_RPC_PORT
const blockTime = config.DEVNET_BLOCK_TIME
const file = config.DEVNET_FILE
const seed = config.SIM_SEED
const simOff = !config.SIMULATOR

const anvil = await startAnvil({ port, blockTime: blockTime > 0 ? blockTime : undefined })
const deployment = await deployDevnet({ rpcUrl: anvil.rpcUrl, wsUrl: anvil.wsUrl, file })
const sim = simOff ? undefined : await createSimulator({ rpcUrl: anvil.rpcUrl, deployment, seed, log })

console.log(
  [
    `Core devnet (chain id ${deployment.chainId}, ${blockTime > 0 ? `${blockTime} s blocks` : 'automine'})`,
    `  RPC        ${deployment.rpcUrl}`,
    `  WS         ${deployment.wsUrl}`,
    `  WCORE      ${deployment.wcore}`,
    `  USDT       ${deployment.usd}`,
    `  factory    ${deployment.factory}  (${deployment.dexName})`,
    `  router     ${deployment.router}`,
    `  launcher   ${deployment.launcher}`,
    `  WCORE/USDT ${deployment.usdPair}`,
    `  deployment written to ${file}`,
    sim ? `  simulator  seed ${seed}, ${sim.wallets.length} wallets` : '  simulator  off',
    '',
  ].join('\n'),
)

let stopping: Promise<void> | undefined
/** Idempotent: a terminal or npm may deliver the signal more than once. */
function shutdown(signal: NodeJS.Signals): void {
  stopping ??= (async () => {
    log.info({ signal }, 'devnet: stopping')
    await sim?.stop()
    await anvil.stop()
    process.exit(0)
  })()
}
process.on('SIGINT', shutdown)
process.on('SIGTERM', shutdown)
sim?.start()
