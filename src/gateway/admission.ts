import { STATUS_CODES, type IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Logger } from 'pino'
import { AuthError, type Grant, type TokenVerifier } from '../auth/jwt.js'
import { tokenFromRequest } from '../auth/credentials.js'
import type { Config } from '../config/config.js'
import { ErrorCode, UpgradeStatus, type UpgradeRefusal } from '../protocol/errors.js'
import { clientIp } from './clientIp.js'
import { createLocalIpSlots, type IpSlots } from './ipSlots.js'

export type AdmissionConfig = Pick<Config, 'MAX_CONNECTIONS' | 'MAX_CONNECTIONS_PER_IP' | 'TRUST_PROXY' | 'ALLOWED_ORIGINS'>

/** An admitted upgrade: who connects, and what their token (if any) grants. */
export type Admitted = { ip: string; grant: Grant | null }

export type Admission = {
  /**
   * Checks an upgrade request before any WebSocket exists: origin (403), global cap (503),
   * per-IP cap (429), token (401). A refusal is written on the socket and resolves null; an
   * admission holds its connection slot until the socket closes.
   */
  admit(req: IncomingMessage, socket: Duplex): Promise<Admitted | null>
  /** Refuses every later upgrade with 503 (shutdown). */
  stop(): void
  /** Upgrades refused so far, by error code. */
  refused(): Readonly<Record<string, number>>
}

export type AdmissionOptions = {
  config: AdmissionConfig
  verifier: TokenVerifier | null
  logger: Logger
  /** Where per-IP slots are counted (default: this process; with Redis: across gateways). */
  ipSlots?: IpSlots
  /** False while the gateway cannot serve yet (its bus has no epoch): upgrades get 503 `starting`. */
  ready?: () => boolean
}

/**
 * @example
 * const admission = createAdmission({ config, verifier, logger })
 * server.on('upgrade', async (req, socket, head) => {
 *   const admitted = await admission.admit(req, socket)
 *   if (admitted) wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, socket, admitted))
 * })
 */
export function createAdmission({ config, verifier, logger, ipSlots = createLocalIpSlots(config.MAX_CONNECTIONS_PER_IP), ready = () => true }: AdmissionOptions): Admission {
  const refusals: Record<string, number> = {}
  let open = 0
  let stopped = false

  function refuse(socket: Duplex, code: UpgradeRefusal, message: string, ip: string): null {
    refusals[code] = (refusals[code] ?? 0) + 1
    logger.debug({ ip, code }, `upgrade refused: ${message}`)
    refuseUpgrade(socket, code, message)
    return null
  }

  /** Holds the process slot and the IP slot until the socket closes. */
  function hold(socket: Duplex, releaseIp: () => void): void {
    socket.once('close', () => {
      open--
      releaseIp()
    })
  }

  async function admit(req: IncomingMessage, socket: Duplex): Promise<Admitted | null> {
    socket.on('error', (err) => logger.debug({ err }, 'upgrade socket error'))
    const ip = clientIp(req, config.TRUST_PROXY)
    if (!originAllowed(req.headers.origin, config.ALLOWED_ORIGINS)) {
      return refuse(socket, ErrorCode.originNotAllowed, `origin ${JSON.stringify(req.headers.origin?.slice(0, 200))} is not allowed`, ip)
    }
    if (stopped) return refuse(socket, ErrorCode.draining, 'the server is shutting down: connect again (to another instance)', ip)
    if (!ready()) return refuse(socket, ErrorCode.starting, 'the server is starting (waiting for its bus); retry shortly', ip)
    if (open >= config.MAX_CONNECTIONS) return refuse(socket, ErrorCode.serverFull, `the server is at its limit of ${config.MAX_CONNECTIONS} connections`, ip)
    open++
    const releaseIp = await ipSlots.acquire(ip).catch((err: unknown) => {
      open--
      throw err
    })
    if (!releaseIp) {
      open--
      return refuse(socket, ErrorCode.tooManyConnections, `at most ${config.MAX_CONNECTIONS_PER_IP} connections per IP address`, ip)
    }
    if (socket.destroyed) {
      open--
      releaseIp()
      return null
    }
    hold(socket, releaseIp)
    const token = verifier ? tokenFromRequest(req) : undefined
    if (!verifier || token === undefined) return { ip, grant: null }
    try {
      const grant = await verifier.verify(token)
      return socket.destroyed ? null : { ip, grant }
    } catch (err) {
      if (!(err instanceof AuthError)) throw err
      return refuse(socket, ErrorCode.unauthorized, err.message, ip)
    }
  }

  return {
    admit,
    stop: () => {
      stopped = true
      void ipSlots.close()
    },
    refused: () => ({ ...refusals }),
  }
}

/** No list, or no Origin header (not a browser): allowed. Else the origin must be listed. */
function originAllowed(origin: string | undefined, allowed: readonly string[] | undefined): boolean {
  if (!allowed || origin === undefined) return true
  try {
    return allowed.includes(new URL(origin).origin)
  } catch {
    return false
  }
}

/**
 * When to come back after a refusal (seconds, the `Retry-After` header): a gateway that is starting
 * or shutting down soon serves (or another one does); a full process or IP frees slots more slowly.
 */
const RETRY_AFTER_SEC: Partial<Record<UpgradeRefusal, number>> = {
  [ErrorCode.starting]: 1,
  [ErrorCode.draining]: 1,
  [ErrorCode.serverFull]: 5,
  [ErrorCode.tooManyConnections]: 10,
}

/** Answers an upgrade request with an HTTP error (`{"error":{code,message}}`) and closes the socket. */
export function refuseUpgrade(socket: Duplex, code: UpgradeRefusal, message: string): void {
  if (!socket.writable) return void socket.destroy()
  const status = UpgradeStatus[code]
  const body = JSON.stringify({ error: { code, message } })
  const headers = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
    'Connection: close',
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...(status === 401 ? ['WWW-Authenticate: Bearer error="invalid_token"'] : []),
    ...(RETRY_AFTER_SEC[code] ? [`Retry-After: ${RETRY_AFTER_SEC[code]}`] : []),
  ]
  socket.once('finish', () => socket.destroy())
  socket.end(`${headers.join('\r\n')}\r\n\r\n${body}`)
}
