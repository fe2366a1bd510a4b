import type { Logger } from 'pino'
import { createOutageLog } from '../logging/outage.js'
import type { BlockHeader } from './events.js'
import type { HeadSource } from './headSourceWs.js'

export type CreatePollHeadSourceOptions = {
  /** Fetches the latest header (`eth_getBlockByNumber('latest')`: one call, and the hash shows a same-height reorg). */
  latestHeader: () => Promise<BlockHeader>
  intervalMs: number
  logger: Logger
  onHead: (head: BlockHeader) => void
}

/**
 * Polls the latest block every `intervalMs` (the next poll is scheduled after the previous one settles).
 * An outage is logged when it starts and when it ends; the polling goes on.
 *
 * @example
 * const source = createPollHeadSource({ latestHeader: rpc.latestHeader, intervalMs: 1000, logger, onHead })
 * source.start()
 */
export function createPollHeadSource(options: CreatePollHeadSourceOptions): HeadSource {
  const { latestHeader, intervalMs, logger, onHead } = options
  let running = false
  let generation = 0
  let timer: NodeJS.Timeout | undefined
  const outage = createOutageLog(logger, 'chain head poll')

  async function poll(own: number) {
    try {
      const head = await latestHeader()
      outage.recovered()
      if (running && own === generation) onHead(head)
    } catch (err) {
      if (running) outage.failed(err)
    }
    if (running && own === generation) timer = setTimeout(() => void poll(own), intervalMs)
  }

  return {
    start() {
      if (running) return
      running = true
      void poll(++generation)
    },
    stop() {
      running = false
      generation++
      clearTimeout(timer)
    },
  }
}
