import { pino, type Logger } from 'pino'
import type { Config } from './config/config.js'

/**
 * The process logger: JSON lines in production, readable lines (pino-pretty) in development.
 *
 * @example
 * const log = createLogger(config)
 * log.info({ port }, 'listening')
 */
export function createLogger(config: Pick<Config, 'LOG_LEVEL' | 'NODE_ENV' | 'PRETTY_LOGS'>): Logger {
  const pretty = config.PRETTY_LOGS ?? config.NODE_ENV === 'development'
  return pino({
    level: config.LOG_LEVEL,
    base: { pid: process.pid },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } } : {}),
  })
}
