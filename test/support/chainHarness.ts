import { pino, type Logger } from 'pino'
import { createTestClient, getAddress, http, publicActions, walletActions, type Abi, type Address, type Hash, type Hex } from 'viem'
import { foundry } from 'viem/chains'
import type { BlockEvent, ChainEvent, DecodedLog, ReorgEvent } from '../../src/chain/events.js'
import { startAnvil, type Anvil } from '../../src/devnet/anvil.js'
import { fixtureArtifacts, type FixtureArtifacts } from './chainFixtures.js'

/** anvil's first default account (unlocked: transactions go through `eth_sendTransaction`). */
export const ACCOUNT: Address = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'

/** A logger for tests: silent unless `TEST_LOG_LEVEL` is set. */
export function testLogger(): Logger {
  return pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' })
}

function createDevClient(rpcUrl: string) {
  return createTestClient({ chain: foundry, mode: 'anvil', transport: http(rpcUrl), account: ACCOUNT, cacheTime: 0 })
    .extend(publicActions)
    .extend(walletActions)
}

/** A test client (anvil + public + wallet actions) bound to anvil's first account. */
export type DevClient = ReturnType<typeof createDevClient>

/** A running anvil plus a client and the compiled fixtures. */
export type DevChain = {
  anvil: Anvil
  client: DevClient
  artifacts: FixtureArtifacts
  /** Sends a contract call from `ACCOUNT` and waits for it to be mined (automine: one block per call). */
  write(address: Address, abi: Abi, functionName: string, args?: readonly unknown[]): Promise<{ hash: Hash; blockNumber: bigint }>
  /** Deploys a fixture contract and returns its address. */
  deploy(name: keyof FixtureArtifacts, args?: readonly unknown[]): Promise<Address>
  stop(): Promise<void>
}

/**
 * Starts anvil (automine) and compiles the fixtures.
 *
 * @example
 * const chain = await startDevChain()
 * afterAll(() => chain.stop())
 */
export async function startDevChain(): Promise<DevChain> {
  const [anvil, artifacts] = await Promise.all([startAnvil({ port: 0 }), fixtureArtifacts()])
  const client = createDevClient(anvil.rpcUrl)
  async function write(address: Address, abi: Abi, functionName: string, args: readonly unknown[] = []) {
    const hash = await client.writeContract({ address, abi, functionName, args, chain: foundry, account: ACCOUNT })
    const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 20 })
    if (receipt.status !== 'success') throw new Error(`${functionName} reverted`)
    return { hash, blockNumber: receipt.blockNumber }
  }
  async function deploy(name: keyof FixtureArtifacts, args: readonly unknown[] = []) {
    const { abi, bytecode } = artifacts[name]
    const hash = await client.deployContract({ abi, bytecode: bytecode as Hex, args, chain: foundry, account: ACCOUNT })
    const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 20 })
    if (!receipt.contractAddress) throw new Error(`${name} was not deployed`)
    return getAddress(receipt.contractAddress)
  }
  return { anvil, client, artifacts, write, deploy, stop: () => anvil.stop() }
}

/** Addresses of a deployed fixture DEX: a factory, one pair made by it, a launcher, a Swap-emitting non-pair. */
export type FixtureDex = { factory: Address; pair: Address; token0: Address; token1: Address; launcher: Address; notAPair: Address }

/**
 * Deploys the fixture factory (and creates one pair with it), a launcher and a non-pair Swap emitter.
 *
 * @example
 * const dex = await deployFixtureDex(chain)
 * await chain.write(dex.pair, chain.artifacts.FixturePair.abi, 'sync', [1n, 2n])
 */
export async function deployFixtureDex(chain: DevChain): Promise<FixtureDex> {
  const token0: Address = '0x1000000000000000000000000000000000000001'
  const token1: Address = '0x2000000000000000000000000000000000000002'
  const factory = await chain.deploy('FixtureFactory')
  await chain.write(factory, chain.artifacts.FixtureFactory.abi, 'createPair', [token0, token1])
  const pair = (await chain.client.readContract({ address: factory, abi: chain.artifacts.FixtureFactory.abi, functionName: 'allPairs', args: [0n] })) as Address
  const launcher = await chain.deploy('FixtureLauncher')
  const notAPair = await chain.deploy('NotAPair')
  return { factory, pair, token0, token1, launcher, notAPair }
}

/** Collects what a follower emits and offers views over it. */
export type EventRecorder = {
  events: ChainEvent[]
  onEvents: (events: ChainEvent[]) => Promise<void>
  blocks(): BlockEvent[]
  logs(): DecodedLog[]
  reorgs(): ReorgEvent[]
  /** The highest block of a `head` event so far (-1 before any). */
  head(): bigint
}

/**
 * Records events; `onEvents` can be slowed (`delayMs`) to test backpressure.
 *
 * @example
 * const rec = recordEvents()
 * createChainFollower({ ..., onEvents: rec.onEvents })
 */
export function recordEvents({ delayMs = 0 }: { delayMs?: number } = {}): EventRecorder {
  const events: ChainEvent[] = []
  const blocks = () => events.filter((e): e is BlockEvent => e.kind === 'block')
  return {
    events,
    async onEvents(batch) {
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs))
      events.push(...batch)
    },
    blocks,
    logs: () => blocks().flatMap((b) => b.logs),
    reorgs: () => events.filter((e): e is ReorgEvent => e.kind === 'reorg'),
    head: () => events.reduce((max, e) => (e.kind === 'head' && e.block.number > max ? e.block.number : max), -1n),
  }
}
