/* global process, fetch, AbortSignal */
// The image's HEALTHCHECK (Dockerfile) and docker-compose.yml's healthchecks: the node:20 slim image
// has no curl or wget, so Node itself asks the server. Exit 0 when
// GET http://127.0.0.1:$WS_PORT<path> (path: argv[2], default /health) answers 2xx within 3 s,
// else 1. WS_PORT is the container's own (default 3003), so one script serves gateways and indexers.
//
//   node deploy/healthcheck.mjs            # liveness: GET /health
//   node deploy/healthcheck.mjs /ready     # readiness: 503 while starting or draining
const path = process.argv[2] ?? '/health'
const port = process.env.WS_PORT || '3003'
try {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(3000) })
  process.exit(res.ok ? 0 : 1)
} catch {
  process.exit(1)
}
