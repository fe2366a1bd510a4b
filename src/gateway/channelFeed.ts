import type { Logger } from 'pino'
import type { Bus, BusMessage } from '../bus/bus.js'
import type { Channel } from '../protocol/items.js'

/** Wait before catching up again after a failed attempt (the bus unreachable). */
const RETRY_MS = 500

/** Why a feed could not continue its numbering: the bus's epoch changed, or history no longer reached back. */
export type FeedBreak = 'epoch' | 'lost'

export type ChannelFeedHandlers = {
  /** The next message of the channel, exactly once and in seq order. */
  deliver(message: BusMessage): void
  /**
   * Messages were lost for good (the bus lost its history, or it no longer reaches back to the
   * gap): the stream continues after `seq`; subscribers must be told and re-synchronised.
   */
  broken(reason: FeedBreak, epoch: string, seq: number): void
  /** Messages read back from history to fill a gap. */
  filled?(count: number): void
}

/** One channel of the bus, as a gateway consumes it: in order, without holes or repeats. */
export type ChannelFeed = {
  /** Resolves once the channel is subscribed on the bus and the feed knows where it starts. */
  readonly ready: Promise<void>
  /** The seq of the newest message delivered (or the start position). */
  position(): number
  /** Resolves once every message up to `seq` has been delivered (or the numbering broke past it). */
  reached(seq: number): Promise<void>
  close(): void
}

/**
 * Subscribes to one channel and delivers its messages in seq order. It tracks the next expected seq:
 * a message that skips ahead (e.g. Pub/Sub messages lost while the connection to Redis was down)
 * makes it read the missing ones from `history()` first, holding newer ones meanwhile; a repeat is
 * dropped. After a bus reconnect it compares the epoch and catches up. What cannot be filled is
 * reported to `broken`.
 *
 * @example
 * const feed = createChannelFeed({ bus, channel: 'trades', logger, handlers: { deliver: route, broken: resync } })
 * await feed.ready
 */
export function createChannelFeed({ bus, channel, logger, handlers }: { bus: Bus; channel: Channel; logger: Logger; handlers: ChannelFeedHandlers }): ChannelFeed {
  let next = 1
  let epoch = ''
  let closed = false
  /** Non-null while catching up (start, gap, reconnect): arrivals wait here, in any order. */
  let waiting: BusMessage[] | null = []
  /** A reconnect asked to compare the epoch and the newest seq. */
  let recheck = false
  let waiters: { seq: number; resolve: () => void }[] = []
  let retry: NodeJS.Timeout | null = null

  const subscription = bus.subscribe(channel, {
    message(message) {
      if (closed) return
      if (waiting) return void waiting.push(message)
      if (message.seq === next) return emit(message)
      if (message.seq > next) return catchUp([message], false)
      // An older seq arriving live: a late repeat, or a new numbering (Redis lost its data without
      // dropping the connection, e.g. FLUSHALL): compare the epoch.
      catchUp([message], true)
    },
    resync: () => catchUp([], true),
  })

  function emit(message: BusMessage): void {
    next = message.seq + 1
    handlers.deliver(message)
    if (waiters.length > 0) wake(false)
  }

  function wake(all: boolean): void {
    const done = all ? waiters : waiters.filter((w) => w.seq < next)
    if (done.length === 0) return
    waiters = all ? [] : waiters.filter((w) => w.seq >= next)
    for (const w of done) w.resolve()
  }

  function catchUp(arrived: BusMessage[], reconnected: boolean): void {
    recheck ||= reconnected
    if (waiting) return void waiting.push(...arrived)
    waiting = arrived
    drain().catch((err: unknown) => {
      // Nothing is lost: `next` did not move past what was delivered. Compare again shortly (the
      // epoch check may be what failed, e.g. Redis still reconnecting).
      waiting = null
      logger.warn({ err, channel }, 'catching up on the bus failed; retrying')
      retry ??= setTimeout(() => {
        retry = null
        if (!closed) catchUp([], true)
      }, RETRY_MS)
      retry.unref()
    })
  }

  /** Delivers what is contiguous; reads history for the rest; one run at a time. */
  async function drain(): Promise<void> {
    let fill = false
    while (!closed && waiting) {
      if (recheck) {
        recheck = false
        try {
          fill = await compare()
        } catch (err) {
          // Until the epoch is known (Redis reconnecting, or not re-seeded yet) arrivals keep waiting:
          // they may be numbered by a new epoch rather than after `next`. Compare again shortly.
          recheck = true
          logger.debug({ err, channel }, 'reading the epoch after a reconnect failed; retrying')
          await new Promise((resolve) => setTimeout(resolve, RETRY_MS).unref())
          continue
        }
      }
      waiting.sort((a, b) => a.seq - b.seq)
      let i = 0
      for (; i < waiting.length && waiting[i]!.seq <= next; i++) if (waiting[i]!.seq === next) emit(waiting[i]!)
      waiting = waiting.slice(i)
      if (waiting.length === 0 && !fill && !recheck) {
        waiting = null
        return
      }
      if (waiting.length > 0 || fill) {
        fill = false
        const read = await readMissing()
        const first = Math.min(...waiting.map((m) => m.seq))
        // History said complete yet lacks the next seq (cannot happen with Streams or the ring): never spin.
        if (read !== null && waiting.length > 0 && first > next && !read.some((m) => m.seq === next)) skipTo(first)
        waiting.push(...(read ?? []))
      }
    }
  }

  /** After a reconnect: a new epoch restarts the numbering; otherwise, is anything missing? */
  async function compare(): Promise<boolean> {
    const current = await bus.epoch()
    const last = await bus.lastSeq(channel)
    if (current === epoch) return last >= next
    // The new numbering starts at 1 and its history is in the bus from there: subscribers are
    // re-synchronised at 0 and get every message of the new epoch (those that arrived meanwhile are
    // in that history; anything held from before the reconnect belongs to the old numbering).
    epoch = current
    next = 1
    waiting = []
    logger.warn({ channel, epoch, seq: last }, 'the bus has a new epoch (its history was lost); re-synchronising subscribers')
    handlers.broken('epoch', epoch, 0)
    wake(true)
    return last > 0
  }

  /** The missing messages from history; null when it no longer reaches back (the numbering jumps to its end). */
  async function readMissing(): Promise<BusMessage[] | null> {
    const history = await bus.history(channel, next - 1)
    if (history.complete) {
      if (history.messages.length > 0) handlers.filled?.(history.messages.length)
      return history.messages
    }
    skipTo(history.lastSeq + 1)
    return null
  }

  function skipTo(seq: number): void {
    next = seq
    logger.warn({ channel, seq: seq - 1 }, 'bus history no longer reaches back to a gap; re-synchronising subscribers')
    handlers.broken('lost', epoch, seq - 1)
    wake(true)
  }

  async function start(): Promise<void> {
    await subscription.ready
    epoch = await bus.epoch()
    next = (await bus.lastSeq(channel)) + 1
    await drain()
  }

  return {
    ready: start(),
    position: () => next - 1,
    reached: (seq) => (seq < next || closed ? Promise.resolve() : new Promise((resolve) => waiters.push({ seq, resolve }))),
    close() {
      closed = true
      if (retry) clearTimeout(retry)
      subscription.close()
      wake(true)
    },
  }
}
