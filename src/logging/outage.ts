import type { Logger } from 'pino'

/** Logs a repeated failure once per state change: its start, and its end with its length. */
export type OutageLog = {
  /** A failure: logged (with its error) only when it starts an outage; later ones are counted. */
  failed(err: unknown, fields?: Record<string, unknown>): void
  /** A success: ends an outage, if there was one, with its duration and how many attempts failed. */
  recovered(fields?: Record<string, unknown>): void
  /** Failures so far in the current outage (0 when healthy). */
  failures(): number
}

/**
 * One line when something starts failing (with the error, without a stack trace beyond the first),
 * one when it works again (how long it failed, how many attempts) — not one per attempt.
 *
 * @example
 * const outage = createOutageLog(log, 'chain head poll')
 * try { await poll(); outage.recovered() } catch (err) { outage.failed(err) }
 * // warn: chain head poll failing … ; info: chain head poll recovered {outageMs: 15012, failures: 18}
 */
export function createOutageLog(logger: Logger, what: string): OutageLog {
  let since: number | null = null
  let count = 0
  return {
    failed(err, fields) {
      count++
      if (since !== null) return
      since = Date.now()
      logger.warn({ ...fields, err }, `${what} failing; retrying (logged again when it recovers)`)
    },
    recovered(fields) {
      if (since === null) return
      logger.info({ ...fields, outageMs: Date.now() - since, failures: count }, `${what} recovered`)
      since = null
      count = 0
    },
    failures: () => count,
  }
}
