import type { Logger } from 'pino'
import type { BlockHeader } from './events.js'
import { createPollHeadSource } from './headSourcePoll.js'
import { createWsHeadSource, type HeadSource } from './headSourceWs.js'

/** Where heads come from right now. */
export type HeadMode = 'ws' | 'poll'

export type HeadWatcher = {
  start(): void
  stop(): void
  mode(): HeadMode
}

export type CreateHeadWatcherOptions = {
  wsUrl?: string
  latestHeader: () => Promise<BlockHeader>
  pollIntervalMs: number
  logger: Logger
  onHead: (head: BlockHeader) => void
  /** A (re)connection or a switch of source: heads may have been missed, catch up from the last processed block. */
  onResync: () => void
  /** Consecutive WebSocket failures before polling takes over (default 3). */
  wsFailuresBeforePoll?: number
  wsBackoffBaseMs?: number
  wsBackoffMaxMs?: number
  wsPingIntervalMs?: number
}

/**
 * Watches the chain head: `newHeads` over WebSocket when `wsUrl` is set, else polling. After
 * `wsFailuresBeforePoll` consecutive WebSocket failures it polls, while the WebSocket keeps reconnecting
 * in the background (backoff capped at `wsBackoffMaxMs`); once subscribed again, polling stops.
 *
 * @example
 * const heads = createHeadWatcher({ wsUrl, latestHeader, pollIntervalMs: 1000, logger, onHead, onResync })
 * heads.start()
 */
export function createHeadWatcher(options: CreateHeadWatcherOptions): HeadWatcher {
  const { wsUrl, logger, wsFailuresBeforePoll = 3 } = options
  let mode: HeadMode = wsUrl ? 'ws' : 'poll'
  const poll = createPollHeadSource({ ...options, intervalMs: options.pollIntervalMs })
  const ws: HeadSource | null = wsUrl
    ? createWsHeadSource({
        url: wsUrl,
        logger,
        onHead: options.onHead,
        backoffBaseMs: options.wsBackoffBaseMs,
        backoffMaxMs: options.wsBackoffMaxMs,
        pingIntervalMs: options.wsPingIntervalMs,
        onConnected() {
          if (mode === 'poll') logger.info({ url: wsUrl }, 'chain websocket back; polling stopped')
          mode = 'ws'
          poll.stop()
          options.onResync()
        },
        onFailure(failures) {
          if (failures < wsFailuresBeforePoll || mode === 'poll') return
          logger.warn({ url: wsUrl, failures }, 'chain websocket keeps failing; polling until it is back')
          mode = 'poll'
          poll.start()
        },
      })
    : null
  return {
    start() {
      if (ws) ws.start()
      else poll.start()
    },
    stop() {
      ws?.stop()
      poll.stop()
    },
    mode: () => mode,
  }
}
