import { existsSync } from 'node:fs'
import { parseEnv } from 'node:util'
import { readFileSync } from 'node:fs'
import { parseConfig, type Config } from './config.js'

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
