import { z } from 'zod'

/** Parses an env string as an integer within bounds, with a message that names the expectation. */
function int(min: number, max: number) {
  return z
    .string()
    .trim()
    .regex(/^-?\d+$/, { message: `must be an integer ${min}-${max}` })
    .transform(Number)
    .pipe(z.number().int().min(min, { message: `must be an integer ${min}-${max}` }).max(max, { message: `must be an integer ${min}-${max}` }))
}

/** Parses an env string as a decimal number within bounds. */
function num(min: number, max: number) {
  const message = `must be a number ${min}-${max}`
  return z
    .string()
    .trim()
    .regex(/^-?\d+(\.\d+)?$/, { message })
    .transform(Number)
    .pipe(z.number().min(min, { message }).max(max, { message }))
}

function bool() {
  return z
    .string()
    .trim()
    .toLowerCase()
    .refine((v) => ['true', 'false', '1', '0', 'yes', 'no'].includes(v), { message: 'must be true or false' })
    .transform((v) => v === 'true' || v === '1' || v === 'yes')
}

function url(protocols: string[]) {
  return z
    .string()
    .trim()
    .refine(
      (v) => {
        try {
          return protocols.includes(new URL(v).protocol)
        } catch {
          return false
        }
      },
      { message: `must be a URL (${protocols.join(' or ')})` },
    )
}

function addressList() {
  return z
    .string()
    .trim()
    .transform((v) => v.split(',').map((x) => x.trim()).filter(Boolean))
    .refine((list) => list.every((a) => /^0x[0-9a-fA-F]{40}$/.test(a)), { message: 'must be a comma-separated list of 0x addresses' })
}

/** `Name=0xfactory,Other=0xfactory` → [{ name, factory }]. */
function dexList() {
  return z
    .string()
    .trim()
    .transform((v) => v.split(',').map((x) => x.trim()).filter(Boolean).map((entry) => entry.split('=').map((x) => x.trim())))
    .refine((list) => list.every((e) => e.length === 2 && e[0]!.length > 0 && /^0x[0-9a-fA-F]{40}$/.test(e[1]!)), {
      message: 'must be a comma-separated list of Name=0xFactoryAddress',
    })
    .transform((list) => list.map(([name, factory]) => ({ name: name!, factory: factory! })))
}

/** `https://a.example,http://localhost:5173` → normalized origins (scheme://host[:port]). */
function originList() {
  const isOrigin = (v: string) => {
    try {
      const u = new URL(v)
      return (u.protocol === 'http:' || u.protocol === 'https:') && u.pathname === '/' && !u.search && !u.hash && !u.username
    } catch {
      return false
    }
  }
  return z
    .string()
    .trim()
    .transform((v) => v.split(',').map((x) => x.trim()).filter(Boolean))
    .refine((list) => list.length > 0 && list.every(isOrigin), { message: 'must be a comma-separated list of origins like https://app.example.com' })
    .transform((list) => list.map((v) => new URL(v).origin))
}

/** `false` (0), `true` (1) or a number of proxy hops whose X-Forwarded-For entries to trust. */
function proxyHops() {
  const message = 'must be true, false or a number of proxy hops 0-10'
  return z
    .string()
    .trim()
    .toLowerCase()
    .refine((v) => /^(true|false|yes|no|\d{1,2})$/.test(v) && !(/^\d+$/.test(v) && Number(v) > 10), { message })
    .transform((v) => (v === 'true' || v === 'yes' ? 1 : v === 'false' || v === 'no' ? 0 : Number(v)))
}

/** Each environment variable the server reads, with its default. The README's configuration table mirrors this. */
const envFields = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test'], { message: 'must be development, production or test' }).default('development'),
  HOST: z.string().trim().min(1, { message: 'must be a host name or address' }).default('0.0.0.0'),
  WS_PORT: int(0, 65535).default(3003),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { message: 'must be one of fatal, error, warn, info, debug, trace, silent' }).default('info'),
  ROLE: z.enum(['all', 'gateway', 'indexer'], { message: 'must be all, gateway or indexer' }).default('all'),
  CORE_RPC_URL: url(['http:', 'https:']).optional(),
  CORE_WS_URL: url(['ws:', 'wss:']).optional(),
  REDIS_URL: url(['redis:', 'rediss:']).optional(),
  REDIS_PREFIX: z.string().trim().regex(/^[\w.:-]{1,64}$/, { message: 'must be 1-64 letters, digits, or . _ : -' }).default('cmws:'),
  REDIS_TOKEN_TTL_SEC: int(3600, 31_536_000).default(604_800),
  CORE_NETWORK: z
    .enum(['mainnet', 'testnet', 'devnet', 'embedded', 'none'], { message: 'must be mainnet, testnet, devnet, embedded or none' })
    .optional(),
  DEXES: dexList().optional(),
  QUOTE_TOKENS: addressList().optional(),
  USD_TOKENS: addressList().optional(),
  LAUNCHERS: addressList().optional(),
  FINALITY_DEPTH: int(1, 10_000).optional(),
  START_BLOCK: int(0, Number.MAX_SAFE_INTEGER).optional(),
  BACKFILL_BLOCKS: int(0, 10_000_000).default(1200),
  POLL_INTERVAL_MS: int(50, 600_000).optional(),
  MAX_BLOCK_RANGE: int(1, 1_000_000).default(2000),
  CHECKPOINT_FILE: z.string().trim().min(1).optional(),
  DEVNET_RPC_PORT: int(0, 65535).default(8545),
  DEVNET_BLOCK_TIME: z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?$/, { message: 'must be a number of seconds (0 = automine)' })
    .transform(Number)
    .default(1),
  DEVNET_FILE: z.string().trim().min(1).default('.data/devnet.json'),
  SIMULATOR: bool().default(true),
  SIM_SEED: int(0, 2 ** 31 - 1).default(1),
  REBUILD_BLOCKS: int(0, 10_000_000).optional(),
  USD_REPRICE_PERCENT: num(0.01, 100).default(0.5),
  LEADER_TTL_MS: int(1000, 600_000).default(10_000),
  ALERT_PRICE_PERCENT: num(0.1, 10_000).default(20),
  ALERT_PRICE_WINDOW_SEC: int(60, 86_400).default(300),
  ALERT_VOLUME_MULTIPLIER: num(1, 1000).default(5),
  ALERT_VOLUME_WINDOW_SEC: int(60, 7200).default(300),
  ALERT_VOLUME_MIN_USD: num(0, 1e12).optional(),
  ALERT_WHALE_USD: num(0, 1e12).optional(),
  ALERT_WHALE_POOL_PERCENT: num(0.01, 100).default(5),
  ALERT_RUG_PERCENT: num(1, 100).default(50),
  ALERT_RUG_WINDOW_SEC: int(0, 86_400).default(600),
  ALERT_RUG_SELL_PERCENT: num(0.01, 100).default(20),
  ALERT_COOLDOWN_SEC: int(0, 86_400).default(300),
  RISK_TRACKING: bool().default(true),
  SNIPER_BLOCKS: int(1, 1000).default(3),
  RISK_TRACK_DAYS: num(0.01, 365).default(7),
  RISK_HISTORY_BLOCKS: int(0, 10_000_000).optional(),
  RISK_SELL_CHECK_BLOCKS: int(1, 1_000_000).default(20),
  RISK_SELL_CHECKS_PER_BLOCK: int(0, 1000).default(8),
  ALERT_RISK_SNIPER_PERCENT: num(0.01, 100).default(25),
  ALERT_RISK_DEV_DUMP_PERCENT: num(0.01, 100).default(5),
  ALERT_RISK_LP_PULL_PERCENT: num(0.01, 100).default(50),
  HEARTBEAT_INTERVAL_MS: int(1000, 3_600_000).default(30_000),
  HISTORY_SIZE: int(0, 1_000_000).default(1000),
  RECENT_TOKENS: int(0, 1000).default(50),
  SHUTDOWN_TIMEOUT_MS: int(100, 60_000).default(8000),
  DRAIN_GRACE_MS: int(0, 60_000).default(2000),
  DRAIN_SPREAD_MS: int(0, 60_000).default(3000),
  METRICS_TOKEN: z.string().min(16, { message: 'must be at least 16 characters' }).optional(),
  // Limits and security (README "Security"): every limit, its default, and the auth settings.
  RATE_LIMIT_PER_MIN: int(1, 1_000_000).default(100),
  RATE_LIMIT_BURST: int(1, 1_000_000).default(20),
  RATE_LIMIT_CLOSE_AFTER: int(1, 1_000_000).default(50),
  RATE_LIMIT_PREMIUM_PER_MIN: int(1, 1_000_000).default(1000),
  MAX_CONNECTIONS: int(1, 1_000_000).default(18_000),
  MAX_CONNECTIONS_PER_IP: int(1, 1_000_000).default(50),
  TRUST_PROXY: proxyHops().default(0),
  ALLOWED_ORIGINS: originList().optional(),
  MAX_PAYLOAD_BYTES: int(256, 16_777_216).default(16_384),
  PER_MESSAGE_DEFLATE: bool().default(false),
  MAX_TOKENS_PER_CONNECTION: int(1, 1_000_000).default(500),
  MAX_TOKENS_PER_CONNECTION_PREMIUM: int(1, 1_000_000).default(5000),
  MAX_QUEUED_BYTES: int(65_536, 1_073_741_824).default(4_194_304),
  JWT_SECRET: z.string().min(32, { message: 'must be at least 32 characters (256 bits for HS256)' }).optional(),
  JWT_JWKS_URL: url(['http:', 'https:']).optional(),
  JWT_ISSUER: z.string().trim().min(1).optional(),
  JWT_AUDIENCE: z.string().trim().min(1).optional(),
  JWT_CLOCK_TOLERANCE_SEC: int(0, 3600).default(5),
  PRETTY_LOGS: bool().optional(),
})

/** Every environment variable the server reads, with its default, and the rules that span several. */
export const envSchema = envFields.superRefine((env, ctx) => {
  if (env.DRAIN_GRACE_MS + env.DRAIN_SPREAD_MS >= env.SHUTDOWN_TIMEOUT_MS) {
    ctx.addIssue({ code: 'custom', path: ['SHUTDOWN_TIMEOUT_MS'], message: `must be more than DRAIN_GRACE_MS + DRAIN_SPREAD_MS (${env.DRAIN_GRACE_MS + env.DRAIN_SPREAD_MS}): the drain has to fit in it` })
  }
  if (env.ROLE !== 'all' && !env.REDIS_URL) {
    ctx.addIssue({ code: 'custom', path: ['ROLE'], message: `must be all without REDIS_URL: a ${env.ROLE} process talks to the others through Redis (set REDIS_URL, or unset ROLE to run everything in one process)` })
  }
})

export type Env = z.input<typeof envSchema>

/** The validated, frozen configuration every module receives. */
export type Config = Readonly<z.output<typeof envSchema>>

/** A configuration error: the message names each bad variable and what it expected. */
export class ConfigError extends Error {
  override name = 'ConfigError'
  readonly code = 'config_invalid'
}

/**
 * Validates the environment once and freezes the result.
 *
 * @example
 * const config = parseConfig({ WS_PORT: '3003' })
 * config.WS_PORT // 3003
 */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const input = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''))
  const result = envSchema.safeParse(input)
  if (result.success) return Object.freeze(result.data)
  const lines = result.error.issues.map((issue) => {
    const name = String(issue.path[0] ?? '?')
    const got = input[name]
    return `${name} ${issue.message}${got === undefined || /SECRET|TOKEN/.test(name) ? '' : `, got ${JSON.stringify(got)}`}`
  })
  throw new ConfigError(lines.join('\n'))
}
