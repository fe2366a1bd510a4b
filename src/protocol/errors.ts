/**
 * Every error code a client can receive in `{"type":"error","code","message"}`,
 * and every close code the server uses. The README lists the same table.
 */
export const ErrorCode = {
  invalidJson: 'invalid_json',
  invalidMessage: 'invalid_message',
  unknownType: 'unknown_type',
  unknownChannel: 'unknown_channel',
  invalidParams: 'invalid_params',
  invalidAddress: 'invalid_address',
  binaryNotSupported: 'binary_not_supported',
  /** Over the message rate limit; the reply carries `retryAfterMs`. */
  rateLimited: 'rate_limited',
  /** A subscription would exceed the connection's address limit, or a list is longer than allowed. */
  tooManyTokens: 'too_many_tokens',
  /** A premium feature (`"*"` on prices/trades, whale/rug alerts) asked for without a premium token. */
  premiumRequired: 'premium_required',
  /** A bad, expired or unverifiable token (on the upgrade: HTTP 401). */
  unauthorized: 'unauthorized',
  /** The token of a live connection expired: back to free, premium subscriptions removed (unsolicited). */
  tokenExpired: 'token_expired',
  /** An `auth` message on a server with no JWT configured (every feature is open there). */
  authDisabled: 'auth_disabled',
  /** Upgrade refused (HTTP 429): this IP has MAX_CONNECTIONS_PER_IP connections open. */
  tooManyConnections: 'too_many_connections',
  /** Upgrade refused (HTTP 503): the server has MAX_CONNECTIONS connections open, or is shutting down. */
  serverFull: 'server_full',
  /** Upgrade refused (HTTP 503, `Retry-After`): the gateway is starting (its bus is not reachable yet). */
  starting: 'starting',
  /** Upgrade refused (HTTP 503, `Retry-After`): the gateway is shutting down; connect to another one. */
  draining: 'draining',
  /** Upgrade refused (HTTP 403): the browser Origin is not in ALLOWED_ORIGINS. */
  originNotAllowed: 'origin_not_allowed',
  notFound: 'not_found',
  /** The bus or the read model (Redis) cannot be reached right now: retry after `retryAfterMs` (HTTP 503). */
  unavailable: 'unavailable',
  internal: 'internal_error',
} as const

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode]

export const CloseCode = {
  /** Server shutting down (a process stopped outside a drain, e.g. a test's stop). */
  goingAway: 1001,
  /** Sent by `ws`: a malformed frame. */
  protocolError: 1002,
  /** Sent by `ws`: a text frame that is not valid UTF-8. */
  invalidPayload: 1007,
  /** Policy violation: the client kept sending far past the rate limit. */
  policyViolation: 1008,
  /** Sent by `ws`: a frame (decompressed, with permessage-deflate) larger than MAX_PAYLOAD_BYTES. */
  messageTooBig: 1009,
  /** Internal error. */
  internalError: 1011,
  /** Service restart: reconnect now (e.g. a renumbered stream could not be re-synchronised in place). */
  serviceRestart: 1012,
  /** The client fell behind by more than MAX_QUEUED_BYTES. */
  slowConsumer: 4008,
} as const

export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode]

/** The HTTP status of each refused upgrade, by its error code (the body is `{"error":{code,message}}`). */
export const UpgradeStatus = {
  [ErrorCode.originNotAllowed]: 403,
  [ErrorCode.unauthorized]: 401,
  [ErrorCode.tooManyConnections]: 429,
  [ErrorCode.serverFull]: 503,
  [ErrorCode.starting]: 503,
  [ErrorCode.draining]: 503,
  /** A process that serves no WebSocket clients (`ROLE=indexer`). */
  [ErrorCode.notFound]: 404,
} as const

export type UpgradeRefusal = keyof typeof UpgradeStatus

/** How long a client is asked to wait when the bus or read model is unreachable. */
export const UNAVAILABLE_RETRY_MS = 1000

/** An error with a stable wire code, for replies to one client message. */
export class ProtocolError extends Error {
  override name = 'ProtocolError'
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Extra fields of the wire `error` (e.g. `retryAfterMs`). */
    readonly details?: Readonly<Record<string, number | string>>,
  ) {
    super(message)
  }
}

/** The bus or the read model is unreachable (Redis down or reconnecting): the request can be retried. */
export function unavailable(what: string, cause?: unknown): ProtocolError {
  const err = new ProtocolError(ErrorCode.unavailable, `${what} is unreachable right now; retry in ${UNAVAILABLE_RETRY_MS} ms`, { retryAfterMs: UNAVAILABLE_RETRY_MS })
  if (cause !== undefined) err.cause = cause
  return err
}
