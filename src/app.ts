import type { Logger } from 'pino'
import type { Bus } from './bus/bus.js'
import { createMemoryBus } from './bus/memoryBus.js'
import type { Config } from './config/config.js'
import { createGateway, type Gateway } from './gateway/gateway.js'
import { createMemoryStateStore, type WritableStateStore } from './state/stateStore.js'

export type App = {
  /** Starts every part this process runs; resolves to the bound port. */
  start(): Promise<number>
  /** Releases everything, in reverse order of start. Idempotent. */
  stop(): Promise<void>
  readonly bus: Bus
  readonly state: WritableStateStore
  readonly gateway: Gateway
}

/**
 * Wires the parts of one process from the config: bus, state store, gateway (and, later, the indexer).
 *
 * @example
 * const app = createApp(config, logger)
 * const port = await app.start()
 */
export function createApp(config: Config, logger: Logger): App {
  const bus = createMemoryBus({ historySize: config.HISTORY_SIZE, logger })
  const state = createMemoryStateStore({ recentLimit: config.RECENT_TOKENS })
  const gateway = createGateway({ config, bus, state, logger })
  let stopping: Promise<void> | undefined

  async function stop(): Promise<void> {
    await gateway.close(config.SHUTDOWN_TIMEOUT_MS)
    await bus.close()
  }

  return {
    bus,
    state,
    gateway,
    async start() {
      const port = await gateway.listen()
      logger.info({ port, host: config.HOST, role: config.ROLE }, `listening on ws://localhost:${port}`)
      if (!config.CORE_RPC_URL) logger.warn('no chain configured (CORE_RPC_URL unset): serving the protocol with nothing to publish')
      return port
    },
    stop: () => (stopping ??= stop()),
  }
}
