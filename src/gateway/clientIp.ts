import type { IncomingMessage } from 'node:http'
import { isIP } from 'node:net'

/**
 * The address a connection is counted under. The socket's peer address, unless `trustedHops` > 0
 * (TRUST_PROXY): then the X-Forwarded-For entry that the outermost trusted proxy appended, i.e. the
 * `trustedHops`-th from the right (entries further left are whatever the client claimed).
 *
 * @example
 * clientIp(req, 1) // '203.0.113.7' for "X-Forwarded-For: 10.0.0.1, 203.0.113.7" behind one load balancer
 */
export function clientIp(req: IncomingMessage, trustedHops: number): string {
  const peer = normalize(req.socket.remoteAddress ?? '') ?? 'unknown'
  if (trustedHops === 0) return peer
  const header = req.headers['x-forwarded-for']
  const entries = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map((x) => x.trim()).filter(Boolean)
  if (entries.length === 0) return peer
  return normalize(entries[Math.max(0, entries.length - trustedHops)]!) ?? peer
}

/** A bare IP (IPv4-mapped IPv6 unwrapped, port and brackets dropped), or null when it is none. */
function normalize(value: string): string | null {
  const v4WithPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(value)
  const v6Bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(value)
  const ip = (v4WithPort?.[1] ?? v6Bracketed?.[1] ?? value).toLowerCase()
  if (isIP(ip) === 0) return null
  return ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip
}
