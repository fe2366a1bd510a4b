import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { ConfigError, parseConfig } from './config.js'

describe('config', () => {
  it('applies the documented defaults', () => {
    const config = parseConfig({})
    expect(config).toMatchObject({ WS_PORT: 3003, HOST: '0.0.0.0', NODE_ENV: 'development', LOG_LEVEL: 'info', ROLE: 'all', HEARTBEAT_INTERVAL_MS: 30_000 })
    expect(config.CORE_RPC_URL).toBeUndefined()
  })

  it('is frozen', () => {
    const config = parseConfig({ WS_PORT: '4000' })
    expect(Object.isFrozen(config)).toBe(true)
    expect(config.WS_PORT).toBe(4000)
  })

  it.each([
    [{ WS_PORT: 'abc' }, 'WS_PORT must be an integer 0-65535, got "abc"'],
    [{ WS_PORT: '70000' }, 'WS_PORT must be an integer 0-65535, got "70000"'],
    [{ ROLE: 'worker' }, 'ROLE must be all, gateway or indexer, got "worker"'],
    [{ CORE_RPC_URL: 'rpc.coredao.org' }, 'CORE_RPC_URL must be a URL (http: or https:), got "rpc.coredao.org"'],
    [{ CORE_WS_URL: 'https://ws.coredao.org' }, 'CORE_WS_URL must be a URL (ws: or wss:), got "https://ws.coredao.org"'],
    [{ HEARTBEAT_INTERVAL_MS: '10' }, 'HEARTBEAT_INTERVAL_MS must be an integer 1000-3600000, got "10"'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud"'],
  ])('rejects %o naming the variable', (env, message) => {
    expect(() => parseConfig(env)).toThrow(ConfigError)
    expect(() => parseConfig(env)).toThrow(message)
  })

  it('treats an empty value as unset', () => {
    expect(parseConfig({ WS_PORT: '' }).WS_PORT).toBe(3003)
  })

  it('stops start-up with a non-zero exit and the message', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/index.ts'], {
      env: { ...process.env, WS_PORT: 'abc' },
      encoding: 'utf8',
      timeout: 20_000,
    })
    expect(result.status).toBe(1)
    expect(result.stderr).toContain('WS_PORT must be an integer 0-65535, got "abc"')
  })
})
