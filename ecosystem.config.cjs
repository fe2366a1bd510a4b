/**
 * PM2 ecosystem: the server scaled out on Redis.
 *
 *   cmws-indexer  ROLE=indexer, fork mode, 1 instance: follows the chain, commits to Redis,
 *                 serves only GET /health on INDEXER_PORT (default 3004).
 *   cmws-gateway  ROLE=gateway, cluster mode, GATEWAYS instances (default 'max': one per core)
 *                 sharing WS_PORT (default 3003): WebSocket clients, fed by the Redis bus and read model.
 *
 * Both run `dist/index.js`, the production entry point (`npm run build` first), with REDIS_URL
 * (default redis://127.0.0.1:6379). Every other variable of the environment that runs
 * `pm2 start` is passed through to both apps (CORE_RPC_URL, REDIS_PREFIX, MAX_CONNECTIONS, …);
 * `pm2 restart`/`reload` keep the environment of the start unless given `--update-env`.
 *
 *   npm run build && GATEWAYS=2 REDIS_URL=redis://127.0.0.1:6379 npx pm2 start ecosystem.config.cjs
 *   npx pm2 jlist            # status, pids, memory
 *   npx pm2 reload cmws-gateway   # rolling: each new instance takes over once listening, then the old one drains
 *   npx pm2 kill             # stops every app (SIGINT, drained), then the PM2 daemon
 *
 * Logs: $PM2_HOME/logs/cmws-<app>-out.log and -error.log (PM2_HOME defaults to ~/.pm2), one file
 * per app with the instances interleaved (each JSON line carries its pid).
 *
 * ES modules: the server is ESM ("type": "module"). PM2 7 (tested with 7.0.4) loads ESM entry points
 * in cluster mode too (its ProcessContainer uses `import()` when the nearest package.json says
 * "type": "module"), so no CJS launcher is needed; test/scaleout/pm2.test.ts runs exactly this file.
 *
 * Shutdown: PM2 stops a process with SIGINT (unless the daemon has PM2_KILL_SIGNAL), which
 * src/index.ts handles like SIGTERM: the gateway sends close 1001 to its clients and waits up to
 * SHUTDOWN_TIMEOUT_MS for them, the indexer finishes its commit, then the process exits 0 (or 1 if
 * that takes SHUTDOWN_TIMEOUT_MS + 2 s). `kill_timeout` leaves room for that before PM2 sends SIGKILL.
 *
 * Capacity: a process can hold ~20,000 open files (MAX_CONNECTIONS defaults to 18,000 per gateway).
 * The cluster deals connections round-robin to the instances that are free, which is not exact
 * (30,000 clients on 2 gateways split about 14,000 / 16,000 in bench/connections.ts): plan on less
 * than GATEWAYS × MAX_CONNECTIONS. A full instance answers 503 even while another has room.
 */
'use strict'

const env = process.env
const shutdownMs = Number(env.SHUTDOWN_TIMEOUT_MS || 8000)
/** src/index.ts exits by itself at the latest SHUTDOWN_TIMEOUT_MS + 2 s after the signal; SIGKILL only after that. */
const killTimeout = shutdownMs + 4_000

/** Settings both apps share. `env` is added to the environment of `pm2 start`, which PM2 passes on. */
const common = {
  script: 'dist/index.js',
  cwd: __dirname,
  kill_timeout: killTimeout,
  // Logs: one file per app (instances interleaved, each pino line carries its pid), no PM2 prefix.
  merge_logs: true,
  // Optional: restart a process whose RSS passes this (e.g. `MAX_MEMORY_RESTART=1G`).
  ...(env.MAX_MEMORY_RESTART ? { max_memory_restart: env.MAX_MEMORY_RESTART } : {}),
  // A crash loop (e.g. bad config) backs off instead of spinning.
  exp_backoff_restart_delay: 200,
}

const shared = {
  NODE_ENV: env.NODE_ENV || 'production',
  REDIS_URL: env.REDIS_URL || 'redis://127.0.0.1:6379',
}

module.exports = {
  apps: [
    {
      ...common,
      name: 'cmws-indexer',
      exec_mode: 'fork',
      instances: 1,
      env: { ...shared, ROLE: 'indexer', WS_PORT: env.INDEXER_PORT || '3004' },
    },
    {
      ...common,
      name: 'cmws-gateway',
      exec_mode: 'cluster',
      // GATEWAYS=2, or PM2's own forms: 'max' (one per core), -1 (cores minus one).
      instances: !env.GATEWAYS ? 'max' : /^-?\d+$/.test(env.GATEWAYS) ? Number(env.GATEWAYS) : env.GATEWAYS,
      env: { ...shared, ROLE: 'gateway', WS_PORT: env.WS_PORT || '3003' },
    },
  ],
}
