import { createApp } from './app.js'
import { loadConfigOrExit } from './config/loadConfig.js'
import { createLogger } from './logger.js'

const config = loadConfigOrExit()
const logger = createLogger(config)
const app = createApp(config, logger)

/**
 * Exits once stdout has taken the last log lines, or after 500 ms. Under PM2 cluster mode stdout is
 * an asynchronous file stream (PM2 replaces `process.stdout.write`), so exiting at once loses them.
 */
function exit(code: number): void {
  logger.flush()
  setTimeout(() => process.exit(code), 500)
  process.stdout.write('', () => process.exit(code))
}

let shuttingDown = false
function shutdown(signal: string): void {
  if (shuttingDown) return
  shuttingDown = true
  logger.info({ signal }, 'shutting down')
  const deadline = setTimeout(() => {
    logger.error('shutdown timed out; exiting')
    exit(1)
  }, config.SHUTDOWN_TIMEOUT_MS + 2000)
  deadline.unref()
  app.stop().then(
    () => {
      logger.info('stopped')
      exit(0)
    },
    (err: unknown) => {
      logger.error({ err }, 'shutdown failed')
      exit(1)
    },
  )
}

// `on`, not `once`: a process group can deliver the same signal more than once.
process.on('SIGTERM', () => shutdown('SIGTERM'))
process.on('SIGINT', () => shutdown('SIGINT'))

app.start().catch((err: unknown) => {
  logger.fatal({ err }, 'failed to start')
  exit(1)
})
