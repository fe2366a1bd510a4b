import { SignJWT, base64url, type JWTPayload } from 'jose'
import WebSocket from 'ws'

/** What a refused upgrade answered: the HTTP status and the JSON body. */
export type Refusal = { status: number; body: unknown; headers: Record<string, string | string[] | undefined> }

/**
 * Opens a WebSocket that the server is expected to refuse; resolves with the HTTP answer and
 * rejects if the upgrade succeeds.
 *
 * @example
 * expect(await refusal(url)).toMatchObject({ status: 429 })
 */
export function refusal(url: string, options: WebSocket.ClientOptions = {}): Promise<Refusal> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options)
    ws.on('open', () => {
      ws.terminate()
      reject(new Error('the upgrade was accepted'))
    })
    ws.on('error', () => {})
    ws.on('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()), headers: res.headers }))
    })
  })
}

export const SECRET = 'test-secret-that-is-at-least-32-characters-long'

export const nowSec = () => Math.floor(Date.now() / 1000)

/**
 * An HS256 token (`tier` claim and an `exp` 1 h ahead unless given).
 *
 * @example
 * await hsToken({ tier: 'premium' })
 */
export function hsToken(claims: JWTPayload = {}, secret = SECRET): Promise<string> {
  return new SignJWT({ exp: nowSec() + 3600, ...claims }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(secret))
}

/** A token with `alg: none` and no signature. */
export function unsignedToken(claims: JWTPayload): string {
  const part = (o: object) => base64url.encode(JSON.stringify(o))
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ exp: nowSec() + 3600, ...claims })}.`
}
