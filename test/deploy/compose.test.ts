import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { envSchema, parseConfig } from '../../src/config/config.js'
import { compose, durationMs, findBinary, haproxyTimeMs, healthcheckCommand, interpolateUnset, read, root, type ComposeService } from './deployFiles.js'

/**
 * docker-compose.yml, without a Docker engine: parsed as YAML and checked for the services, ports,
 * environment and health checks it promises, against the Dockerfile, deploy/haproxy.cfg and the
 * server's own config schema. With a compose binary (`docker compose` or `docker-compose`), also
 * its own `config` validation.
 */

const { services } = compose()
const nodeServices = ['indexer', 'gateway1', 'gateway2'] as const
const gatewayServices = ['gateway1', 'gateway2'] as const
const service = (name: string): ComposeService => {
  const s = services[name]
  if (!s) throw new Error(`docker-compose.yml has no service ${name}`)
  return s
}
/** A service's environment as the container gets it with nothing set on the host. */
const envOf = (name: string): Record<string, string> =>
  Object.fromEntries(Object.entries(service(name).environment ?? {}).map(([k, v]) => [k, interpolateUnset(v ?? '')]))
const dependsOn = (s: ComposeService) => (Array.isArray(s.depends_on) ? Object.fromEntries(s.depends_on.map((d) => [d, { condition: 'service_started' }])) : (s.depends_on ?? {}))

/** deploy/haproxy.cfg's `default-server` settings and timeouts. */
function haproxySettings(): { interMs: number; fall: number; checkTimeoutMs: number; servers: { name: string; envVar: string; fallback: string }[] } {
  const cfg = read('deploy/haproxy.cfg')
  const defaultServer = /^\s*default-server\s+(.*)$/m.exec(cfg)![1]!
  const word = (key: string) => new RegExp(`\\b${key}\\s+(\\S+)`).exec(defaultServer)?.[1]
  const servers = [...cfg.matchAll(/^\s*server\s+(\S+)\s+"\$\{(\w+)-([^}]+)\}"/gm)].map((m) => ({ name: m[1]!, envVar: m[2]!, fallback: m[3]! }))
  return {
    interMs: haproxyTimeMs(word('inter') ?? '2s'),
    fall: Number(word('fall') ?? 3),
    checkTimeoutMs: haproxyTimeMs(/^\s*timeout\s+check\s+(\S+)/m.exec(cfg)?.[1] ?? '0'),
    servers,
  }
}

describe('docker-compose.yml', () => {
  it('runs redis, one indexer, two gateways and a load balancer', () => {
    expect(Object.keys(services).sort()).toEqual(['gateway1', 'gateway2', 'indexer', 'lb', 'redis'])
  })

  it('redis: Redis 7 without persistence, with a redis-cli ping healthcheck', () => {
    const redis = service('redis')
    expect(redis.image).toMatch(/^redis:7\b/)
    expect(redis.command).toEqual(['redis-server', '--save', '', '--appendonly', 'no'])
    expect(redis.healthcheck?.test).toEqual(['CMD', 'redis-cli', 'ping'])
  })

  it('indexer and gateways: the image of this Dockerfile, its HEALTHCHECK, init, started once Redis is healthy', () => {
    for (const name of nodeServices) {
      const s = service(name)
      expect(s.build === '.' || (typeof s.build === 'object' && s.build.context === '.'), name).toBe(true)
      expect(s.init, name).toBe(true)
      expect(s.healthcheck?.test, name).toEqual(['CMD', ...healthcheckCommand()])
      expect(dependsOn(s), name).toMatchObject({ redis: { condition: 'service_healthy' } })
      expect(envOf(name), name).toMatchObject({ NODE_ENV: 'production', REDIS_URL: 'redis://redis:6379' })
    }
  })

  it('sets only variables the server reads, and each node service config is valid as the server parses it', () => {
    const known = new Set(Object.keys(envSchema.shape))
    for (const name of nodeServices) {
      for (const key of Object.keys(envOf(name))) expect(known.has(key), `${name}: ${key} is not a server variable`).toBe(true)
      expect(() => parseConfig(envOf(name)), name).not.toThrow()
    }
  })

  it('indexer: ROLE=indexer on its own port (3004, published on 127.0.0.1 only), the chain passed through from the host', () => {
    const env = envOf('indexer')
    expect(env).toMatchObject({ ROLE: 'indexer', WS_PORT: '3004' })
    expect(service('indexer').ports).toEqual(['127.0.0.1:3004:3004'])
    // Passed through: unset on the host → empty → unset for the server (the embedded devnet).
    for (const name of ['CORE_RPC_URL', 'CORE_WS_URL', 'CORE_NETWORK']) expect(service('indexer').environment?.[name]).toBe(`\${${name}:-}`)
    expect(parseConfig(env).CORE_RPC_URL).toBeUndefined()
    expect(parseConfig({ ...env, CORE_RPC_URL: 'https://rpc.coredao.org', CORE_WS_URL: 'wss://ws.coredao.org' })).toMatchObject({ ROLE: 'indexer', CORE_RPC_URL: 'https://rpc.coredao.org' })
  })

  it('gateways: ROLE=gateway on 3003, trusting the load balancer X-Forwarded-For, reachable only through it', () => {
    for (const name of gatewayServices) {
      const config = parseConfig(envOf(name))
      expect(config, name).toMatchObject({ ROLE: 'gateway', WS_PORT: 3003, TRUST_PROXY: 1 })
      expect(service(name).ports, name).toBeUndefined()
    }
  })

  it('drain: a gateway leaves the HAProxy pool before it closes its clients, and exits before Docker kills it', () => {
    const { interMs, fall, checkTimeoutMs } = haproxySettings()
    // After SIGTERM /ready answers 503; HAProxy marks the server DOWN after `fall` failed checks `inter` apart.
    const outOfPoolMs = interMs * fall + checkTimeoutMs
    for (const name of nodeServices) {
      const config = parseConfig(envOf(name))
      if (name !== 'indexer') expect(config.DRAIN_GRACE_MS, name).toBeGreaterThan(outOfPoolMs)
      // src/index.ts exits at the latest SHUTDOWN_TIMEOUT_MS + 2 s after the signal; Docker SIGKILLs after stop_grace_period (default 10 s).
      expect(durationMs(service(name).stop_grace_period ?? '10s'), name).toBeGreaterThan(config.SHUTDOWN_TIMEOUT_MS + 2000)
    }
  })

  it('lb: HAProxy on port 3003 with deploy/haproxy.cfg, one server per gateway service at its WS_PORT', () => {
    const lb = service('lb')
    expect(lb.image).toMatch(/^haproxy:/)
    expect(lb.ports).toContain('3003:3003')
    expect(lb.volumes).toContain('./deploy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro')
    expect(Object.keys(dependsOn(lb)).sort()).toEqual([...gatewayServices])
    const env = envOf('lb')
    expect(env['LB_BIND']).toBe(':3003')
    const { servers } = haproxySettings()
    expect(servers.map((s) => s.name)).toEqual([...gatewayServices])
    for (const { name, envVar, fallback } of servers) {
      const address = `${name}:${parseConfig(envOf(name)).WS_PORT}`
      expect(env[envVar], envVar).toBe(address)
      expect(fallback, `haproxy.cfg's default for ${envVar}`).toBe(address)
    }
  })
})

describe('docker-compose.yml through a compose binary', () => {
  const v2 = spawnSync('docker', ['compose', 'version'], { stdio: 'ignore' }).status === 0
  const v1 = !v2 && findBinary('docker-compose', ['version']) !== null
  const command = v2 ? ['docker', 'compose'] : ['docker-compose']

  // Without a compose binary (apt-get install -y docker-compose) this check is skipped.
  it.skipIf(!(v2 || v1))(`${command.join(' ')} config validates it (no engine needed)`, () => {
    const result = spawnSync(command[0]!, [...command.slice(1), '-f', 'docker-compose.yml', 'config', '-q'], { cwd: root, encoding: 'utf8', env: { ...process.env, CORE_RPC_URL: '', CORE_WS_URL: '', CORE_NETWORK: '' } })
    expect(result.status, result.stderr).toBe(0)
  })
})
