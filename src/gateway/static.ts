import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Route } from './http.js'

/** URL path → file in `public/`. Nothing else is served: no directory walking, no user-supplied paths. */
const files: Record<string, string> = {
  '/': 'index.html',
  '/index.html': 'index.html',
  '/dashboard.js': 'dashboard.js',
  '/dashboard.css': 'dashboard.css',
}

const contentTypes: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
}

/** The page talks only to its own origin (HTTP and WebSocket); nothing inline, nothing framed. */
const pageHeaders = {
  'content-security-policy': "default-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
}

/**
 * Where `public/` is: the package root, from `src/gateway/` (tsx), `dist/gateway/` (`npm run build`)
 * or `dist/src/gateway/` (a build of the whole project). `null` if it is missing.
 */
export function findPublicDir(from: string | URL = import.meta.url): string | null {
  for (const up of ['../../public/', '../../../public/']) {
    const dir = fileURLToPath(new URL(up, from))
    if (existsSync(`${dir}index.html`)) return dir
  }
  return null
}

/**
 * The dashboard's GET routes (`/`, `/index.html`, `/dashboard.js`, `/dashboard.css`), read once from
 * `public/`. HEAD answers the headers only. Without `public/` it returns no routes (those paths stay 404).
 *
 * @example
 * createGateway({ …, routes: { ...tokenRoutes(state, 50), ...staticRoutes() } })
 */
export function staticRoutes(dir: string | null = findPublicDir()): Record<string, Route> {
  if (dir === null) return {}
  const routes: Record<string, Route> = {}
  for (const [path, file] of Object.entries(files)) routes[path] = fileRoute(readFileSync(`${dir}${file}`), file)
  return routes
}

function fileRoute(body: Buffer, file: string): Route {
  const headers = {
    'content-type': contentTypes[file.slice(file.lastIndexOf('.') + 1)] ?? 'application/octet-stream',
    'content-length': body.length,
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
    ...(file.endsWith('.html') ? pageHeaders : {}),
  }
  return function serveFile(req, res) {
    res.writeHead(200, headers)
    res.end(req.method === 'HEAD' ? undefined : body)
  }
}
