import { existsSync, readFileSync } from 'node:fs'
import { parseEnv } from 'node:util'
import { ConfigError, parseConfig, type Config } from './config.js'

/**
 * Reads `.env` (if present; real environment variables win) and validates the result.
 *
 * @example
 * const config = loadConfig() // throws ConfigError naming the bad variable
 */
export function loadConfig(envFile = '.env', env: NodeJS.ProcessEnv = process.env): Config {
  const fromFile = existsSync(envFile) ? parseEnv(readFileSync(envFile, 'utf8')) : {}
  return parseConfig({ ...fromFile, ...env })
}

/**
 * For entry points: the config, or the reasons it is invalid on stderr and exit code 1.
 *
 * @example
 * const config = loadConfigOrExit()
 */
export function loadConfigOrExit(): Config {
  try {
    return loadConfig()
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    console.error(`Invalid configuration:\n${err.message}`)
    process.exit(1)
  }
}
