import { createApp } from './app.js'
import { loadConfigOrExit } from './config/loadConfig.js'
import { createLogger } from './logger.js'

const config = loadConfigOrExit()
const logger = createLogger(config)
const app = createApp(config, logger)

let shuttingDown = false
function shutdown(signal: string): void {
  if (shuttingDown) return
  shuttingDown = true
  logger.info({ signal }, 'shutting down')
  const deadline = setTimeout(() => {
    logger.error('shutdown timed out; exiting')
    process.exit(1)
  }, 10_000)
  deadline.unref()
  app.stop().then(
    () => {
      logger.info('stopped')
      logger.flush()
      process.exit(0)
    },
    (err: unknown) => {
      logger.error({ err }, 'shutdown failed')
      process.exit(1)
    },
  )
}

// `on`, not `once`: a process group can deliver the same signal more than once.
process.on('SIGTERM', () => shutdown('SIGTERM'))
process.on('SIGINT', () => shutdown('SIGINT'))

app.start().catch((err: unknown) => {
  logger.fatal({ err }, 'failed to start')
  process.exit(1)
})
