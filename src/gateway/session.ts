import type { Logger } from 'pino'
import type { RawData } from 'ws'
import { AuthError, type TokenVerifier } from '../auth/jwt.js'
import type { Bus } from '../bus/bus.js'
import { parseClientMessage, peekId, type AuthMessage, type ClientMessage, type SubscribeMessage } from '../protocol/clientMessages.js'
import { CloseCode, ErrorCode, ProtocolError } from '../protocol/errors.js'
import { dataKey, type Channel } from '../protocol/items.js'
import { unixSeconds } from '../protocol/serverMessages.js'
import type { StateStore } from '../state/stateStore.js'
import { enqueue, hold, release, sendInOrder, sendJson, type Client } from './client.js'
import { checkTokenLimit, entitle, hasPremiumFeatures, limitsOf, type Policy } from './entitlements.js'
import { applyGrant, type GrantDeps } from './grants.js'
import type { Hub } from './hub.js'
import type { RateVerdict } from './rateLimiter.js'

export type SessionDeps = {
  hub: Hub
  bus: Bus
  state: StateStore
  logger: Logger
  recentTokens: number
  policy: Policy
  verifier: TokenVerifier | null
  grants: GrantDeps
  /** Counts clients closed for flooding (1008). */
  onFloodClose(client: Client): void
}

/**
 * Handles one frame from a client. Every frame counts against the rate limit; messages of one
 * client are handled (and answered) in order; a bad message gets an `error` reply and the
 * connection stays usable.
 */
export function handleFrame(deps: SessionDeps, client: Client, data: RawData, isBinary: boolean): void {
  if (client.closing || client.ws.readyState !== client.ws.OPEN) return
  const verdict = client.limiter.check()
  if (!verdict.ok) return refuseOverRate(deps, client, verdict)
  if (isBinary) {
    return fail(deps, client, new ProtocolError(ErrorCode.binaryNotSupported, 'binary frames are not supported; send JSON text'), undefined)
  }
  const text = data.toString()
  let message: ClientMessage
  try {
    message = parseClientMessage(text)
  } catch (err) {
    return fail(deps, client, err, peekId(text))
  }
  enqueue(client, () => handleMessage(deps, client, message), (err) => replyError(client, err, message.id, deps.logger))
}

/** Queues an error reply behind the replies to earlier messages. */
function fail(deps: SessionDeps, client: Client, err: unknown, id: string | number | undefined): void {
  enqueue(client, () => replyError(client, err, id, deps.logger), (failure) => deps.logger.error({ err: failure, clientId: client.id }, 'error reply failed'))
}

/**
 * Over the rate: an `error` with `retryAfterMs`; once the refusal allowance is spent too, later
 * frames are ignored and the client is closed with 1008 after the replies to its earlier messages.
 */
function refuseOverRate(deps: SessionDeps, client: Client, verdict: Extract<RateVerdict, { ok: false }>): void {
  if (verdict.close) {
    deps.logger.info({ clientId: client.id, ip: client.ip }, 'client kept sending past the rate limit; closing with 1008')
    deps.onFloodClose(client)
    client.closing = true
    const end = () => client.outbox.end(CloseCode.policyViolation, 'rate limit exceeded')
    enqueue(client, end, (err) => deps.logger.error({ err, clientId: client.id }, 'closing a flooding client failed'))
    return
  }
  const rate = limitsOf(deps.policy, client.tier).ratePerMin
  const message = `over ${rate} messages per minute; retry in ${verdict.retryAfterMs} ms`
  fail(deps, client, new ProtocolError(ErrorCode.rateLimited, message, { retryAfterMs: verdict.retryAfterMs }), undefined)
}

function replyError(client: Client, err: unknown, id: string | number | undefined, logger: Logger): void {
  const known = err instanceof ProtocolError
  if (!known) logger.error({ err, clientId: client.id }, 'message handling failed')
  const code = known ? err.code : ErrorCode.internal
  const message = known ? err.message : 'internal error'
  sendJson(client, withId({ type: 'error', code, message, ...(known ? err.details : undefined) }, id))
}

function withId<T extends object>(reply: T, id: string | number | undefined): T {
  return id === undefined ? reply : { ...reply, id }
}

async function handleMessage(deps: SessionDeps, client: Client, message: ClientMessage): Promise<void> {
  switch (message.type) {
    case 'ping':
      sendJson(client, withId({ type: 'pong', timestamp: unixSeconds() }, message.id))
      return
    case 'unsubscribe': {
      const left = deps.hub.unsubscribe(client, message.channel, message.params)
      const reply = left ? { type: 'unsubscribed', channel: message.channel, params: left } : { type: 'unsubscribed', channel: message.channel }
      sendJson(client, withId(reply, message.id))
      return
    }
    case 'subscribe':
      await subscribe(deps, client, message)
      return
    case 'auth':
      await authenticate(deps, client, message)
  }
}

/** Verifies the token of an `auth` message and applies its tier; a refused token changes nothing. */
async function authenticate(deps: SessionDeps, client: Client, message: AuthMessage): Promise<void> {
  if (!deps.verifier) throw new ProtocolError(ErrorCode.authDisabled, 'authentication is not configured on this server; every feature is open')
  const grant = await deps.verifier.verify(message.token).catch((err: unknown) => {
    throw err instanceof AuthError ? new ProtocolError(ErrorCode.unauthorized, err.message) : err
  })
  sendJson(client, withId({ type: 'authenticated', tier: grant.tier, expiresAt: grant.expiresAt }, message.id))
  applyGrant(deps.grants, client, grant)
}

/** Subscribes, acknowledges, then sends the replay (`since`) or the snapshot before any newer live frame. */
async function subscribe(deps: SessionDeps, client: Client, requested: SubscribeMessage): Promise<void> {
  const { channel } = requested
  const message = entitle(requested, hasPremiumFeatures(deps.policy, client.tier))
  const params = deps.hub.preview(client, message)
  checkTokenLimit(client.subs, channel, params, limitsOf(deps.policy, client.tier).maxTokens)
  hold(client, channel)
  try {
    deps.hub.replace(client, channel, params)
    if (message.since === undefined) {
      const seq = await deps.bus.lastSeq(channel)
      sendJson(client, withId({ type: 'subscribed', channel, params, seq }, message.id))
      await sendSnapshot(deps, client, message, seq)
    } else {
      await replay(deps, client, channel, message.since, params, message.id)
    }
  } finally {
    release(client, channel)
  }
}

async function replay(deps: SessionDeps, client: Client, channel: Channel, since: number, params: unknown, id: string | number | undefined): Promise<void> {
  const history = await deps.bus.history(channel, since)
  sendJson(client, withId({ type: 'subscribed', channel, params, seq: history.lastSeq, resumed: history.complete }, id))
  for (const message of history.messages) {
    const frame = deps.hub.frameFor(client, message)
    if (frame) sendInOrder(client, channel, frame)
  }
  // A `since` from another epoch may be ahead of this bus: never skip frames this bus has yet to send.
  if (!client.lastSeq.has(channel)) client.lastSeq.set(channel, Math.min(since, history.lastSeq))
}

/** The current prices or recent launches, marked `snapshot: true`, as of the channel's `seq`. */
async function sendSnapshot(deps: SessionDeps, client: Client, message: SubscribeMessage, seq: number): Promise<void> {
  let items: unknown[] = []
  if (message.channel === 'prices') {
    const tokens = message.params.tokens
    items = tokens.includes('*') ? await deps.state.allPrices() : await deps.state.prices(tokens)
  } else if (message.channel === 'tokens' && message.params.includeRecent) {
    items = await deps.state.recentTokens(deps.recentTokens)
  }
  if (items.length === 0) return
  sendJson(client, { type: 'data', channel: message.channel, data: { [dataKey[message.channel]]: items }, seq, snapshot: true }, message.channel)
}
