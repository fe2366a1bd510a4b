import type { Logger } from 'pino'
import type { Hash } from 'viem'
import WebSocket from 'ws'
import { backoffDelay } from './errors.js'
import type { BlockHeader } from './events.js'

/** A source of new chain heads. */
export type HeadSource = {
  start(): void
  stop(): void
}

export type CreateWsHeadSourceOptions = {
  url: string
  logger: Logger
  onHead: (head: BlockHeader) => void
  /** The `newHeads` subscription is (re)established: heads may have been missed before it. */
  onConnected: () => void
  /** The connection failed or dropped; `failures` counts consecutive failures since the last success. */
  onFailure: (failures: number) => void
  /** Reconnect backoff (default 250 ms doubling to 30 s, with jitter). */
  backoffBaseMs?: number
  backoffMaxMs?: number
  /** Protocol ping interval; a connection that misses a pong is dropped (default 15 s). */
  pingIntervalMs?: number
  /** How long to wait for the socket to open and subscribe (default 10 s). */
  connectTimeoutMs?: number
}

const subscribeRequest = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_subscribe', params: ['newHeads'] })

type RpcHead = { number?: string; hash?: Hash; parentHash?: Hash; timestamp?: string }
type Message = { id?: number; result?: unknown; error?: unknown; method?: string; params?: { subscription?: string; result?: RpcHead } }

/** Parses a `newHeads` notification's header; `null` if a field is missing. */
export function parseRpcHead(head: RpcHead | undefined): BlockHeader | null {
  if (!head?.number || !head.hash || !head.parentHash || !head.timestamp) return null
  return { number: BigInt(head.number), hash: head.hash, parentHash: head.parentHash, timestamp: BigInt(head.timestamp) }
}

/**
 * Subscribes to `newHeads` over a raw WebSocket and keeps the subscription alive: reconnects with
 * exponential backoff on any drop (close, error, missed pong, failed subscribe), forever, until `stop()`.
 *
 * @example
 * const source = createWsHeadSource({ url, logger, onHead, onConnected: catchUp, onFailure: () => {} })
 * source.start()
 */
export function createWsHeadSource(options: CreateWsHeadSourceOptions): HeadSource {
  const { url, logger, backoffBaseMs = 250, backoffMaxMs = 30_000, pingIntervalMs = 15_000, connectTimeoutMs = 10_000 } = options
  let socket: WebSocket | null = null
  let stopped = true
  let failures = 0
  let retryTimer: NodeJS.Timeout | undefined

  function connect() {
    if (stopped) return
    let ws: WebSocket
    try {
      ws = new WebSocket(url, { handshakeTimeout: connectTimeoutMs })
    } catch (err) {
      logger.warn({ err, url }, 'chain websocket URL rejected')
      return scheduleReconnect()
    }
    socket = ws
    let subscription: string | null = null
    let alive = true
    const timers = {
      subscribe: setTimeout(() => ws.terminate(), connectTimeoutMs),
      ping: setInterval(() => {
        if (!alive) return ws.terminate()
        alive = false
        ws.ping()
      }, pingIntervalMs),
    }
    ws.on('open', () => ws.send(subscribeRequest))
    ws.on('pong', () => (alive = true))
    ws.on('message', (data) => {
      alive = true
      const message = parse(String(data))
      if (message?.id === 1) {
        if (typeof message.result !== 'string') return void ws.terminate()
        subscription = message.result
        clearTimeout(timers.subscribe)
        failures = 0
        options.onConnected()
      } else if (message?.method === 'eth_subscription' && message.params?.subscription === subscription) {
        const head = parseRpcHead(message.params?.result)
        if (head) options.onHead(head)
      }
    })
    ws.on('error', (err) => logger.debug({ err, url }, 'chain websocket error'))
    ws.on('close', () => {
      clearTimeout(timers.subscribe)
      clearInterval(timers.ping)
      if (socket === ws) socket = null
      if (!stopped) scheduleReconnect()
    })
  }

  function scheduleReconnect() {
    failures++
    const delay = backoffDelay(failures - 1, backoffBaseMs, backoffMaxMs)
    // The first failure is news; the following ones (while reconnecting, or polling meanwhile) are not.
    logger[failures === 1 ? 'warn' : 'debug']({ url, failures, delayMs: delay }, 'chain websocket dropped; reconnecting')
    options.onFailure(failures)
    retryTimer = setTimeout(connect, delay)
  }

  return {
    start() {
      if (!stopped) return
      stopped = false
      connect()
    },
    stop() {
      stopped = true
      clearTimeout(retryTimer)
      socket?.terminate()
      socket = null
    },
  }
}

function parse(text: string): Message | null {
  try {
    return JSON.parse(text) as Message
  } catch {
    return null
  }
}
