import type { Logger } from 'pino'
import type { RawData } from 'ws'
import { AuthError, type TokenVerifier } from '../auth/jwt.js'
import type { Bus } from '../bus/bus.js'
import { parseClientMessage, peekId, type AuthMessage, type ChannelParams, type ClientMessage, type SubscribeMessage, type TokensParams } from '../protocol/clientMessages.js'
import { routeOf } from '../protocol/routing.js'
import { launchAccepted } from './channelRules.js'
import { CloseCode, ErrorCode, ProtocolError } from '../protocol/errors.js'
import { dataKey, type Channel, type TokenItem } from '../protocol/items.js'
import { encodeData, unixSeconds, type UnsubscribedMessage } from '../protocol/serverMessages.js'
import type { Snapshot, StateStore } from '../state/stateStore.js'
import { enqueue, flushHeld, hold, release, sendInOrder, sendJson, type Client } from './client.js'
import { checkTokenLimit, entitle, hasPremiumFeatures, limitsOf, type Policy } from './entitlements.js'
import { applyGrant, type GrantDeps } from './grants.js'
import type { Hub } from './hub.js'
import type { CloseReason } from './gatewayCounters.js'
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
  /** The server closes a client (counted by reason). */
  onClose(client: Client, reason: CloseReason): void
  /** A message was refused over the rate limit. */
  onRateLimited(client: Client): void
  /** A token in an `auth` message was refused. */
  onAuthFailure(client: Client): void
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
    deps.onClose(client, 'rate_limit')
    client.closing = true
    const end = () => client.outbox.end(CloseCode.policyViolation, 'rate limit exceeded')
    enqueue(client, end, (err) => deps.logger.error({ err, clientId: client.id }, 'closing a flooding client failed'))
    return
  }
  deps.onRateLimited(client)
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
      const reply: UnsubscribedMessage = left ? { type: 'unsubscribed', channel: message.channel, params: left } : { type: 'unsubscribed', channel: message.channel }
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
    if (!(err instanceof AuthError)) throw err
    deps.onAuthFailure(client)
    throw new ProtocolError(ErrorCode.unauthorized, err.message)
  })
  sendJson(client, withId({ type: 'authenticated', tier: grant.tier, expiresAt: grant.expiresAt }, message.id))
  applyGrant(deps.grants, client, grant)
}

/**
 * Subscribes, acknowledges, then sends the replay (`since`) or the snapshot, each at its place in the
 * channel's stream: live frames up to the snapshot's seq come before it, newer ones after.
 */
async function subscribe(deps: SessionDeps, client: Client, requested: SubscribeMessage): Promise<void> {
  const { channel } = requested
  const message = entitle(requested, hasPremiumFeatures(deps.policy, client.tier))
  const params = deps.hub.preview(client, message)
  checkTokenLimit(client.subs, channel, params, limitsOf(deps.policy, client.tier).maxTokens)
  const previous = client.subs.get(channel) ?? null
  hold(client, channel)
  try {
    deps.hub.replace(client, channel, params)
    await deps.hub.ready(channel)
    if (message.since === undefined) await sendSubscribed(deps, client, { channel, params, wanted: message.params, fresh: previous === null }, withId({}, message.id))
    else await replay(deps, client, channel, message.since, params, message.id)
  } catch (err) {
    // Nothing was acknowledged: the client keeps the subscription it had (or none).
    if (client.subs.has(channel) || previous) deps.hub.replace(client, channel, previous)
    throw err
  } finally {
    release(client, channel)
  }
}

type SubscribedPlan = {
  channel: Channel
  /** The effective params (acknowledged). */
  params: ChannelParams[Channel]
  /** What the snapshot covers (the requested tokens, for prices). */
  wanted: SubscribeMessage['params']
  /** A new subscription starts after the snapshot's seq; an existing one keeps its place in the stream. */
  fresh: boolean
  /** A re-synchronisation: where the stream continues, for a channel without snapshot (the feed's break). */
  at?: number
}

/**
 * `subscribed` with the seq of the state the snapshot was read at, then the snapshot. Frames up to
 * that seq are sent first to a client that was already subscribed, and dropped for a new one (the
 * snapshot reflects them); newer frames follow.
 */
async function sendSubscribed(deps: SessionDeps, client: Client, plan: SubscribedPlan, extra: object): Promise<void> {
  const { channel } = plan
  const snapshot = await readSnapshot(deps, channel, plan.wanted, plan.at)
  await deps.hub.reached(channel, snapshot.seq)
  if (plan.fresh) client.lastSeq[channel] = snapshot.seq
  sendJson(client, { type: 'subscribed', channel, params: plan.params, seq: snapshot.seq, ...extra })
  if (!plan.fresh) flushHeld(client, channel, snapshot.seq)
  client.lastSeq[channel] = Math.max(snapshot.seq, client.lastSeq[channel])
  if (snapshot.items.length === 0) return
  client.outbox.send(encodeData(channel, dataKey[channel], snapshot.seq, snapshot.items, true), channel)
}

async function replay(deps: SessionDeps, client: Client, channel: Channel, since: number, params: ChannelParams[Channel], id: string | number | undefined): Promise<void> {
  const history = await deps.bus.history(channel, since)
  await deps.hub.reached(channel, history.lastSeq)
  sendJson(client, withId({ type: 'subscribed', channel, params, seq: history.lastSeq, resumed: history.complete }, id))
  for (const message of history.messages) {
    const frame = deps.hub.frameFor(client, message)
    if (frame) sendInOrder(client, channel, frame)
  }
  // Held live frames up to history.lastSeq were replayed (or not selected). A `since` from another
  // epoch may be ahead of this bus: the stream continues after this bus's seq, never after `since`.
  client.lastSeq[channel] = history.lastSeq
}

/**
 * The current prices or risk, or the recent launches (filtered), as of the channel's `seq`; other channels: just the seq (the
 * newest, or `at`: the stream then continues after `at`, and nothing newer is skipped).
 */
async function readSnapshot(deps: SessionDeps, channel: Channel, params: SubscribeMessage['params'], at?: number): Promise<Snapshot> {
  if (channel === 'prices' || channel === 'risk') {
    const tokens = (params as { tokens: string[] }).tokens
    const wanted = tokens.includes('*') ? '*' : tokens
    return channel === 'prices' ? deps.state.prices(wanted) : deps.state.risk(wanted)
  }
  if (channel === 'tokens' && (params as TokensParams).includeRecent) {
    const recent = await deps.state.recentTokens(deps.recentTokens)
    // The launch filters, on the recent launches as they were published (parsed once per subscribe).
    const filters = params as TokensParams
    return { ...recent, items: recent.items.filter((json) => launchAccepted(filters, routeOf('tokens', JSON.parse(json) as TokenItem))) }
  }
  return { seq: at ?? (await deps.bus.lastSeq(channel)), items: [] }
}

/**
 * The bus renumbered a channel (new epoch: Redis lost its history) or lost messages for good: every
 * subscriber is told, as if it had subscribed again — an unsolicited `subscribed` with
 * `resumed: false` and the `epoch`, then the snapshot — and its stream continues from there. Without
 * a snapshot (trades, alerts) it continues right after `seq`, where the feed's numbering broke (0 for
 * a new epoch: every message of the new epoch follows).
 */
export function resynchronise(deps: SessionDeps, client: Client, channel: Channel, epoch: string, seq: number): void {
  const params = client.subs.get(channel)
  if (!params) return
  hold(client, channel)
  client.lastSeq[channel] = 0
  const task = async () => {
    try {
      if (!client.subs.has(channel)) return
      await sendSubscribed(deps, client, { channel, params, wanted: params as SubscribeMessage['params'], fresh: true, at: seq }, { resumed: false, epoch })
    } finally {
      release(client, channel)
    }
  }
  // Without its renumbering notice the client would take new seqs for old ones: it reconnects instead.
  const fail = (err: unknown) => {
    deps.logger.warn({ err, clientId: client.id, channel }, 're-synchronising a subscriber failed; closing it with 1012 (reconnect)')
    client.closing = true
    deps.onClose(client, 'renumbered')
    client.outbox.end(CloseCode.serviceRestart, 'stream renumbered; reconnect')
  }
  enqueue(client, task, fail)
}
