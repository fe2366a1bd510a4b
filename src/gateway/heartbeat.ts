import type { Logger } from 'pino'
import type { Client } from './client.js'

/**
 * Pings every client each `intervalMs`; a client that has not answered the previous ping is
 * terminated (close 1006 on its side). Returns the stop function.
 *
 * @example
 * const stop = startHeartbeat(clients, 30_000, logger)
 */
export function startHeartbeat(clients: ReadonlySet<Client>, intervalMs: number, logger: Logger, onTerminate: (client: Client) => void = () => {}): () => void {
  const timer = setInterval(() => {
    for (const client of clients) {
      if (!client.alive) {
        logger.info({ clientId: client.id, ip: client.ip }, 'client missed a heartbeat; terminating')
        onTerminate(client)
        client.ws.terminate()
        continue
      }
      client.alive = false
      client.ws.ping()
    }
  }, intervalMs)
  timer.unref()
  return () => clearInterval(timer)
}
