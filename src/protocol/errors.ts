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
  notFound: 'not_found',
  internal: 'internal_error',
} as const

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode]

export const CloseCode = {
  /** Server shutting down. */
  goingAway: 1001,
  /** Internal error. */
  internalError: 1011,
} as const

/** An error with a stable wire code, for replies to one client message. */
export class ProtocolError extends Error {
  override name = 'ProtocolError'
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message)
  }
}
