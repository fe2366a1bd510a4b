import { describe, expect, it } from 'vitest'
import { ConfigError, parseConfig } from '../../src/config/config.js'

describe('limits and security config', () => {
  it('applies the documented defaults', () => {
    expect(parseConfig({})).toMatchObject({
      RATE_LIMIT_PER_MIN: 100,
      RATE_LIMIT_BURST: 20,
      RATE_LIMIT_CLOSE_AFTER: 50,
      RATE_LIMIT_PREMIUM_PER_MIN: 1000,
      MAX_CONNECTIONS: 18_000,
      MAX_CONNECTIONS_PER_IP: 50,
      TRUST_PROXY: 0,
      MAX_PAYLOAD_BYTES: 16_384,
      PER_MESSAGE_DEFLATE: false,
      MAX_TOKENS_PER_CONNECTION: 500,
      MAX_TOKENS_PER_CONNECTION_PREMIUM: 5000,
      MAX_QUEUED_BYTES: 4_194_304,
      JWT_CLOCK_TOLERANCE_SEC: 5,
    })
    const config = parseConfig({})
    for (const name of ['ALLOWED_ORIGINS', 'JWT_SECRET', 'JWT_JWKS_URL', 'JWT_ISSUER', 'JWT_AUDIENCE'] as const) expect(config[name]).toBeUndefined()
  })

  it('reads TRUST_PROXY as a number of trusted hops', () => {
    expect(parseConfig({ TRUST_PROXY: 'true' }).TRUST_PROXY).toBe(1)
    expect(parseConfig({ TRUST_PROXY: 'FALSE' }).TRUST_PROXY).toBe(0)
    expect(parseConfig({ TRUST_PROXY: '2' }).TRUST_PROXY).toBe(2)
  })

  it('normalizes ALLOWED_ORIGINS to origins', () => {
    expect(parseConfig({ ALLOWED_ORIGINS: 'https://App.Example.com/, http://localhost:5173' }).ALLOWED_ORIGINS).toEqual(['https://app.example.com', 'http://localhost:5173'])
  })

  it.each([
    [{ RATE_LIMIT_PER_MIN: 'lots' }, 'RATE_LIMIT_PER_MIN must be an integer 1-1000000, got "lots"'],
    [{ RATE_LIMIT_BURST: '0' }, 'RATE_LIMIT_BURST must be an integer 1-1000000, got "0"'],
    [{ MAX_CONNECTIONS_PER_IP: '-1' }, 'MAX_CONNECTIONS_PER_IP must be an integer 1-1000000, got "-1"'],
    [{ MAX_PAYLOAD_BYTES: '100' }, 'MAX_PAYLOAD_BYTES must be an integer 256-16777216, got "100"'],
    [{ MAX_QUEUED_BYTES: '1k' }, 'MAX_QUEUED_BYTES must be an integer 65536-1073741824, got "1k"'],
    [{ TRUST_PROXY: 'maybe' }, 'TRUST_PROXY must be true, false or a number of proxy hops 0-10, got "maybe"'],
    [{ ALLOWED_ORIGINS: 'example.com' }, 'ALLOWED_ORIGINS must be a comma-separated list of origins like https://app.example.com, got "example.com"'],
    [{ ALLOWED_ORIGINS: 'https://a.example/path' }, 'ALLOWED_ORIGINS must be a comma-separated list of origins'],
    [{ PER_MESSAGE_DEFLATE: 'on' }, 'PER_MESSAGE_DEFLATE must be true or false, got "on"'],
    [{ JWT_JWKS_URL: 'keys.json' }, 'JWT_JWKS_URL must be a URL (http: or https:), got "keys.json"'],
  ])('rejects %o naming the variable', (env, message) => {
    expect(() => parseConfig(env)).toThrow(ConfigError)
    expect(() => parseConfig(env)).toThrow(message)
  })

  it('rejects a short JWT_SECRET without printing it', () => {
    expect(() => parseConfig({ JWT_SECRET: 'hunter2' })).toThrow('JWT_SECRET must be at least 32 characters (256 bits for HS256)')
    expect(() => parseConfig({ JWT_SECRET: 'hunter2' })).not.toThrow(/hunter2/)
  })
})
