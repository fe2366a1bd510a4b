import {
  createPublicClient,
  createTestClient,
  createWalletClient,
  defineChain,
  http,
  publicActions,
  type Address,
  type Chain,
  type Hex,
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'

/** Receipt polling on the devnet: blocks come every second or on every transaction. */
const POLLING_INTERVAL_MS = 100

/**
 * The viem chain of a devnet: native currency CORE, one RPC URL.
 *
 * @example
 * const chain = devnetChain(31337, 'http://127.0.0.1:8545')
 */
export function devnetChain(chainId: number, rpcUrl: string, wsUrl?: string): Chain {
  return defineChain({
    id: chainId,
    name: 'Core devnet',
    nativeCurrency: { name: 'Core', symbol: 'CORE', decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl], ...(wsUrl ? { webSocket: [wsUrl] } : {}) } },
  })
}

/**
 * A public client for the devnet that polls fast enough for one-second blocks.
 *
 * @example
 * const client = createDevnetPublicClient({ rpcUrl, chainId: 31337 })
 * await client.getBlockNumber()
 */
export function createDevnetPublicClient({ rpcUrl, chainId }: { rpcUrl: string; chainId: number }) {
  return createPublicClient({ chain: devnetChain(chainId, rpcUrl), transport: http(rpcUrl), pollingInterval: POLLING_INTERVAL_MS })
}

/** A devnet public client. */
export type DevnetPublicClient = ReturnType<typeof createDevnetPublicClient>

function createSignerClient(rpcUrl: string, chainId: number, privateKey: Hex) {
  return createWalletClient({
    account: privateKeyToAccount(privateKey),
    chain: devnetChain(chainId, rpcUrl),
    transport: http(rpcUrl),
    pollingInterval: POLLING_INTERVAL_MS,
  }).extend(publicActions)
}

/** A wallet client (signs locally with its private key) that also has the public actions. */
export type DevnetSignerClient = ReturnType<typeof createSignerClient>

/** A devnet account: its address and the client that signs and sends for it. */
export type DevnetWallet = { address: Address; client: DevnetSignerClient }

/**
 * Creates a devnet wallet from a private key (one client per wallet, so each keeps its own nonce order).
 *
 * @example
 * const wallet = createDevnetWallet({ rpcUrl, chainId: 31337, privateKey: DEPLOYER_PRIVATE_KEY })
 * wallet.address // '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'
 */
export function createDevnetWallet({ rpcUrl, chainId, privateKey }: { rpcUrl: string; chainId: number; privateKey: Hex }): DevnetWallet {
  const client = createSignerClient(rpcUrl, chainId, privateKey)
  return { address: client.account.address, client }
}

/**
 * Sets native balances with `anvil_setBalance` (devnet only).
 *
 * @example
 * await setBalances(rpcUrl, [wallet.address], parseEther('1000000'))
 */
export async function setBalances(rpcUrl: string, addresses: readonly Address[], value: bigint): Promise<void> {
  const test = createTestClient({ mode: 'anvil', transport: http(rpcUrl) })
  await Promise.all(addresses.map((address) => test.setBalance({ address, value })))
}
