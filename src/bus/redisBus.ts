import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import { channels, type Channel } from '../protocol/items.js'
import { commitToRedis, type RedisLimits } from '../redis/commit.js'
import { unavailable } from '../protocol/errors.js'
import { guarded, type RedisConnection } from '../redis/connection.js'
import type { Bus, BusHistory, BusListener, BusMessage } from './bus.js'
import { decodeWire } from './wire.js'

export type RedisBusOptions = {
  redis: RedisConnection
  /** Stream length per channel (the writer trims; readers read what is there). */
  historySize: number
  logger: Logger
}

/**
 * The bus on Redis. Per channel: a counter (the seq), a Stream trimmed to `historySize` (the history,
 * entry id `<seq>-0`) and a Pub/Sub channel (live fan-out to the gateways); the three are written by
 * one Lua step (`redis/scripts.ts`), so every gateway sees the same seq and bytes for a message.
 * Pub/Sub, the original README's choice, costs one message per gateway and nothing per reader; what
 * it loses while a gateway is disconnected is read back from the Stream (see `BusListener.resync`).
 * The epoch is a key in Redis, created by the indexer's ledger together with the read model, gone
 * when Redis loses its data; until it exists again, reads answer `unavailable`.
 *
 * @example
 * const bus = createRedisBus({ redis: createRedisConnection({ url, prefix: 'cmws:', logger, name: 'gateway' }), historySize: 1000, logger })
 */
export function createRedisBus({ redis, historySize, logger }: RedisBusOptions): Bus {
  const { keys } = redis
  const log = logger.child({ module: 'redis-bus' })
  const listeners = new Map<Channel, Set<BusListener>>()
  const subscriptions = new Map<Channel, Promise<void>>()
  const byPubSubKey = new Map(channels.map((c) => [keys.pubsub(c), c]))
  const limits: RedisLimits = { historySize, ttlSec: 0, recentLimit: 0, tradesPerToken: 0 }
  let epoch: string | null = null
  let sub: ReturnType<RedisConnection['subscriber']> | null = null
  let everReady = false

  const read = <T>(fn: () => Promise<T>) => guarded(redis, 'the bus', fn)

  /** Only a ledger (the indexer) creates epochs, with the read model that goes with them. */
  async function readEpoch(): Promise<string> {
    const current = await read(() => redis.command.get(keys.epoch))
    if (!current) throw unavailable('the bus (no indexer has initialised it since Redis started)')
    epoch = current
    return epoch
  }

  /** Publishing outside a ledger (tests, benchmarks) starts the numbering of a fresh bus itself. */
  async function writerEpoch(): Promise<string> {
    const fresh = randomUUID()
    epoch = (await read(() => redis.command.set(keys.epoch, fresh, 'NX', 'GET'))) ?? fresh
    return epoch
  }

  function onMessage(key: string, text: string): void {
    const channel = byPubSubKey.get(key)
    const set = channel && listeners.get(channel)
    if (!channel || !set) return
    let message: BusMessage
    try {
      const cut = text.indexOf('\n')
      message = decodeWire(channel, Number(text.slice(0, cut)), text.slice(cut + 1))
    } catch (err) {
      return log.error({ err, channel }, 'malformed bus message skipped')
    }
    for (const listener of set) {
      try {
        listener.message(message)
      } catch (err) {
        log.error({ err, channel }, 'bus listener threw')
      }
    }
  }

  /** After a reconnect: subscribe again, then let listeners catch up on what they missed. */
  async function onReady(): Promise<void> {
    if (!everReady) return void (everReady = true)
    const active = [...listeners.keys()]
    try {
      if (active.length > 0) await sub!.subscribe(...active.map(keys.pubsub))
    } catch (err) {
      return log.warn({ err }, 'resubscribing after a reconnect failed; the next reconnect retries')
    }
    for (const channel of active) for (const listener of listeners.get(channel) ?? []) listener.resync?.()
  }

  // The epoch reported by status() follows Redis across reconnects (a restart may have emptied it).
  // After the command connection comes back, the epoch shown by status() is read again (a restart may
  // have emptied Redis) and listeners check what they missed (whichever connection returns last wins).
  let commandReady = redis.connected()
  const refreshEpoch = () => {
    void readEpoch().catch((err: unknown) => log.debug({ err }, 'reading the epoch failed'))
    if (!commandReady) return void (commandReady = true)
    for (const set of listeners.values()) for (const listener of set) listener.resync?.()
  }
  redis.command.on('ready', refreshEpoch)

  function subscriber() {
    if (!sub) {
      sub = redis.subscriber()
      sub.on('message', onMessage)
      sub.on('ready', () => void onReady())
      if (sub.status === 'ready') everReady = true
    }
    return sub
  }

  return {
    epoch: readEpoch,
    async publish(channel, publication) {
      const result = await commitToRedis(redis.command, keys, limits, { epoch: await writerEpoch(), commit: null, publications: [{ channel, publication }], publishedAt: Date.now() })
      return (result as number[])[0]!
    },
    subscribe(channel, listener) {
      let set = listeners.get(channel)
      if (!set) {
        listeners.set(channel, (set = new Set()))
        subscriptions.set(channel, subscriber().subscribe(keys.pubsub(channel)).then(() => {}))
      }
      set.add(listener)
      const ready = subscriptions.get(channel)!
      return {
        ready,
        close() {
          set.delete(listener)
          if (set.size > 0 || listeners.get(channel) !== set) return
          listeners.delete(channel)
          subscriptions.delete(channel)
          sub?.unsubscribe(keys.pubsub(channel)).catch((err: unknown) => log.debug({ err, channel }, 'unsubscribe failed'))
        },
      }
    },
    history: (channel, since) => read(() => readHistory(redis, channel, since)),
    lastSeq: async (channel) => Number((await read(() => redis.command.get(keys.seq(channel)))) ?? 0),
    status: () => ({ kind: 'redis', connected: redis.connected() && (sub === null || sub.status === 'ready'), epoch }),
    async close() {
      redis.command.off('ready', refreshEpoch)
      listeners.clear()
      subscriptions.clear()
    },
  }
}

/** `GET seq` and `XRANGE` from `since + 1` in one MULTI, so completeness is judged on one state. */
async function readHistory(redis: RedisConnection, channel: Channel, since: number): Promise<BusHistory> {
  const { keys } = redis
  const replies = await redis.command.multi().get(keys.seq(channel)).xrange(keys.stream(channel), `${since + 1}-0`, '+').exec()
  if (!replies) throw new Error('history read aborted')
  for (const [err] of replies) if (err) throw err
  const lastSeq = Number(replies[0]![1] ?? 0)
  const entries = replies[1]![1] as [id: string, fields: string[]][]
  const messages = entries.map(([id, fields]) => decodeWire(channel, Number(id.slice(0, id.indexOf('-'))), fields[1]!))
  const first = messages[0]?.seq
  const complete = since <= lastSeq && (since === lastSeq || first === since + 1)
  return { complete, messages, lastSeq }
}
