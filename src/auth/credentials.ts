import type { IncomingMessage } from 'node:http'

/**
 * The JWT an upgrade request carries: `Authorization: Bearer <token>` first, else `?token=<token>`;
 * undefined when there is none.
 *
 * @example
 * tokenFromRequest(req) // 'eyJhbGciOi…' for ws://host/?token=eyJhbGciOi…
 */
export function tokenFromRequest(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization
  const bearer = header ? /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] : undefined
  if (bearer) return bearer
  return queryToken(req.url ?? '/')
}

function queryToken(path: string): string | undefined {
  try {
    return new URL(path, 'http://localhost').searchParams.get('token') || undefined
  } catch {
    return undefined
  }
}
