import type { IncomingMessage, ServerResponse } from 'node:http'
import { ErrorCode, ProtocolError, UNAVAILABLE_RETRY_MS } from '../protocol/errors.js'

export type Route = (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>

/** Writes a JSON response. */
export function sendJsonResponse(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

/** The JSON error body every HTTP error uses: `{"error":{"code","message"}}`. */
export function sendHttpError(res: ServerResponse, status: number, code: string, message: string): void {
  sendJsonResponse(res, status, { error: { code, message } })
}

/**
 * Builds the HTTP request handler from GET routes: exact paths, or a prefix ending in `/*` that
 * matches everything below it. Anything else is a JSON 404 (or 405).
 *
 * @example
 * createHttpHandler({ '/health': (req, res) => sendJsonResponse(res, 200, { status: 'ok' }), '/tokens/*': tokenRoute })
 */
export function createHttpHandler(routes: Record<string, Route>, onError: (err: unknown) => void) {
  return function handleRequest(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const route = routes[url.pathname] ?? prefixRoute(routes, url.pathname)
    if (!route) return sendHttpError(res, 404, ErrorCode.notFound, `no route for ${url.pathname}`)
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD')
      return sendHttpError(res, 405, 'method_not_allowed', `${req.method} is not allowed on ${url.pathname}`)
    }
    Promise.resolve(route(req, res, url)).catch((err: unknown) => {
      if (res.headersSent) return onError(err)
      if (err instanceof ProtocolError && err.code === ErrorCode.unavailable) {
        res.setHeader('retry-after', String(Math.ceil(UNAVAILABLE_RETRY_MS / 1000)))
        return sendHttpError(res, 503, err.code, err.message)
      }
      onError(err)
      sendHttpError(res, 500, ErrorCode.internal, 'internal error')
    })
  }
}

function prefixRoute(routes: Record<string, Route>, path: string): Route | undefined {
  for (let i = path.lastIndexOf('/'); i > 0; i = path.lastIndexOf('/', i - 1)) {
    const route = routes[`${path.slice(0, i)}/*`]
    if (route) return route
  }
  return undefined
}
