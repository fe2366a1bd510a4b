import type { Logger } from 'pino'
import type { Client } from './client.js'

/** A round of pings is spread over this many ticks of the interval. */
export const HEARTBEAT_SLICES = 20

/**
 * Pings every client once per `intervalMs`, spread over the interval: every interval a round takes
 * the clients connected then and pings 1/`HEARTBEAT_SLICES` of them per tick, so 10,000 clients are
 * not pinged in one turn (which held up every message in flight: ~0.4 s of one turn at 10,000 in
 * `npm run bench`). A client that has not answered its previous ping is terminated (close 1006 on
 * its side); one that joined during a round is pinged in the next. Returns the stop function.
 *
 * @example
 * const stop = startHeartbeat(clients, 30_000, logger)
 */
export function startHeartbeat(clients: ReadonlySet<Client>, intervalMs: number, logger: Logger, onTerminate: (client: Client) => void = () => {}): () => void {
  /** This round's clients; each slot is cleared once visited (a closed client is not kept for a whole interval). */
  let round: (Client | undefined)[] = []
  let next = 0
  let ticks = 0
  const timer = setInterval(
    () => {
      if (ticks++ % HEARTBEAT_SLICES === 0) {
        round = [...clients]
        next = 0
      }
      const end = Math.min(round.length, next + Math.ceil(round.length / HEARTBEAT_SLICES))
      const now = Date.now()
      for (; next < end; next++) {
        beat(round[next]!, now)
        round[next] = undefined
      }
    },
    Math.max(1, Math.floor(intervalMs / HEARTBEAT_SLICES)),
  )
  timer.unref()

  function beat(client: Client, now: number): void {
    // Gone since the round began; or pinged less than half an interval ago (clients that left
    // earlier in the order moved it forward): its answer may still be on the way.
    if (!clients.has(client) || now - client.pingedAt < intervalMs / 2) return
    if (!client.alive) {
      logger.info({ clientId: client.id, ip: client.ip }, 'client missed a heartbeat; terminating')
      onTerminate(client)
      client.ws.terminate()
      return
    }
    client.alive = false
    client.pingedAt = now
    client.ws.ping()
  }

  return () => clearInterval(timer)
}
