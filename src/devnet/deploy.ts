import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { createPublicClient, getAddress, getContractAddress, http, isAddress, maxUint256, parseEther, parseUnits, type Address, type Hash } from 'viem'
import { z } from 'zod'
import { bundlerAbi, coreMemeFactoryAbi, coreMemeRouterAbi, stableUSDAbi, tokenLauncherAbi, wcoreAbi } from './abis.js'
import { getBytecode } from './artifacts.js'
import { createDevnetWallet, setBalances, type DevnetWallet } from './client.js'

/** anvil's first default account (mnemonic "test test … junk"). Public knowledge: devnet only. */
export const DEPLOYER_PRIVATE_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80'

/** The DEX name the devnet's factory goes by. */
export const DEVNET_DEX_NAME = 'CoreMemeSwap'

/** Seed liquidity of the WCORE/USDT pair: 1 CORE ≈ 1.00 USD. */
export const USD_PAIR_CORE = parseEther('100000')
export const USD_PAIR_USD = parseUnits('100000', 6)

/**
 * Explicit gas limits: the deployment sends every transaction before the first is mined, so nothing can be estimated.
 * The launcher carries the creation code of three token contracts.
 */
const GAS = { deploy: 2_500_000n, factory: 4_000_000n, router: 4_000_000n, launcher: 6_000_000n, call: 150_000n, addLiquidity: 4_000_000n } as const

const address = z.string().refine((v) => isAddress(v, { strict: false }), { message: 'must be an address' }).transform((v) => getAddress(v))

const deploymentSchema = z.object({
  chainId: z.number().int().positive(),
  rpcUrl: z.string(),
  wsUrl: z.string(),
  wcore: address,
  usd: address,
  factory: address,
  router: address,
  launcher: address,
  /** The `Bundler` (several buyers in one transaction). Absent from files written before it existed. */
  bundler: address.optional(),
  usdPair: address,
  dexName: z.literal(DEVNET_DEX_NAME),
  deployer: address,
  startBlock: z.number().int().nonnegative(),
})

/** Where the devnet contracts live (addresses EIP-55), written as JSON for the server and the tests. */
export type Deployment = z.output<typeof deploymentSchema>

/** Options of {@link deployDevnet}. */
export type DeployDevnetParameters = { rpcUrl: string; wsUrl: string; file?: string }

type Sent = { name: string; hash: Hash }

/**
 * Sends the six contract deployments with consecutive nonces; returns their hashes and addresses. New
 * contracts go last, so the earlier ones keep their addresses.
 */
async function sendDeployments(deployer: DevnetWallet, nonce: number) {
  const c = deployer.client
  const at = (offset: number) => getContractAddress({ from: deployer.address, nonce: BigInt(nonce + offset) })
  const addresses = { wcore: at(0), usd: at(1), factory: at(2), router: at(3), launcher: at(4), bundler: at(5) }
  const sent: Sent[] = [
    { name: 'WCORE', hash: await c.deployContract({ abi: wcoreAbi, bytecode: getBytecode('WCORE'), gas: GAS.deploy, nonce }) },
    { name: 'StableUSD', hash: await c.deployContract({ abi: stableUSDAbi, bytecode: getBytecode('StableUSD'), gas: GAS.deploy, nonce: nonce + 1 }) },
    { name: 'CoreMemeFactory', hash: await c.deployContract({ abi: coreMemeFactoryAbi, bytecode: getBytecode('CoreMemeFactory'), gas: GAS.factory, nonce: nonce + 2 }) },
    {
      name: 'CoreMemeRouter',
      hash: await c.deployContract({ abi: coreMemeRouterAbi, bytecode: getBytecode('CoreMemeRouter'), args: [addresses.factory, addresses.wcore], gas: GAS.router, nonce: nonce + 3 }),
    },
    {
      name: 'TokenLauncher',
      hash: await c.deployContract({ abi: tokenLauncherAbi, bytecode: getBytecode('TokenLauncher'), args: [addresses.factory, addresses.wcore], gas: GAS.launcher, nonce: nonce + 4 }),
    },
    { name: 'Bundler', hash: await c.deployContract({ abi: bundlerAbi, bytecode: getBytecode('Bundler'), gas: GAS.deploy, nonce: nonce + 5 }) },
  ]
  return { sent, addresses }
}

/** Mints USDT, approves the router and adds the WCORE/USDT liquidity, still without waiting. */
async function sendUsdLiquidity(deployer: DevnetWallet, nonce: number, a: { usd: Address; router: Address }): Promise<Sent[]> {
  const c = deployer.client
  const mint = await c.writeContract({ address: a.usd, abi: stableUSDAbi, functionName: 'mint', args: [deployer.address, USD_PAIR_USD], gas: GAS.call, nonce })
  const approve = await c.writeContract({ address: a.usd, abi: stableUSDAbi, functionName: 'approve', args: [a.router, maxUint256], gas: GAS.call, nonce: nonce + 1 })
  const add = await c.writeContract({
    address: a.router,
    abi: coreMemeRouterAbi,
    functionName: 'addLiquidityETH',
    args: [a.usd, USD_PAIR_USD, 0n, 0n, deployer.address, maxUint256],
    value: USD_PAIR_CORE,
    gas: GAS.addLiquidity,
    nonce: nonce + 2,
  })
  return [{ name: 'USDT.mint', hash: mint }, { name: 'USDT.approve', hash: approve }, { name: 'addLiquidityETH(USDT)', hash: add }]
}

/** Waits for every receipt; throws naming the first transaction that reverted. */
async function confirmAll(deployer: DevnetWallet, sent: Sent[]) {
  const receipts = await Promise.all(sent.map((s) => deployer.client.waitForTransactionReceipt({ hash: s.hash })))
  const failed = receipts.findIndex((r) => r.status !== 'success')
  if (failed >= 0) throw new Error(`devnet deployment: ${sent[failed]!.name} reverted (${sent[failed]!.hash})`)
  return receipts
}

/**
 * Deploys WCORE, USDT (6 dp), the CoreMemeSwap factory and router, the token launcher and the bundler
 * with anvil's first account, and seeds a WCORE/USDT pair at 1 CORE ≈ 1 USD. Every transaction is sent
 * before the first is mined, so it takes one block under interval mining. Writes `file` if given.
 *
 * @example
 * const anvil = await startAnvil({ port: 0 })
 * const deployment = await deployDevnet({ rpcUrl: anvil.rpcUrl, wsUrl: anvil.wsUrl, file: '.data/devnet.json' })
 * deployment.usdPair // '0x…'
 */
export async function deployDevnet({ rpcUrl, wsUrl, file }: DeployDevnetParameters): Promise<Deployment> {
  const chainId = await createPublicClient({ transport: http(rpcUrl) }).getChainId()
  const deployer = createDevnetWallet({ rpcUrl, chainId, privateKey: DEPLOYER_PRIVATE_KEY })
  await setBalances(rpcUrl, [deployer.address], parseEther('1000000000'))
  const nonce = await deployer.client.getTransactionCount({ address: deployer.address, blockTag: 'pending' })
  const { sent, addresses } = await sendDeployments(deployer, nonce)
  const liquidity = await sendUsdLiquidity(deployer, nonce + sent.length, addresses)
  const receipts = await confirmAll(deployer, [...sent, ...liquidity])
  const usdPair = await deployer.client.readContract({ address: addresses.factory, abi: coreMemeFactoryAbi, functionName: 'getPair', args: [addresses.wcore, addresses.usd] })
  const deployment: Deployment = {
    chainId,
    rpcUrl,
    wsUrl,
    ...addresses,
    usdPair: getAddress(usdPair),
    dexName: DEVNET_DEX_NAME,
    deployer: deployer.address,
    startBlock: Number(receipts[0]!.blockNumber),
  }
  if (file) await writeDeployment(file, deployment)
  return deployment
}

/**
 * Writes a deployment as JSON, creating the directory.
 *
 * @example
 * await writeDeployment('.data/devnet.json', deployment)
 */
export async function writeDeployment(file: string, deployment: Deployment): Promise<void> {
  await mkdir(dirname(file), { recursive: true })
  // Written aside, then renamed: a server reading the file never sees half of it.
  const partial = `${file}.${process.pid}.tmp`
  await writeFile(partial, `${JSON.stringify(deployment, null, 2)}\n`)
  await rename(partial, file)
}

/**
 * Reads and validates a deployment file written by {@link deployDevnet}.
 *
 * @example
 * const { rpcUrl, factory } = await readDeployment('.data/devnet.json')
 */
export async function readDeployment(file: string): Promise<Deployment> {
  const parsed = deploymentSchema.safeParse(JSON.parse(await readFile(file, 'utf8')))
  if (!parsed.success) throw new Error(`${file} is not a devnet deployment: ${parsed.error.message}`)
  return parsed.data
}
