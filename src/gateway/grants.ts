import type { Grant } from '../auth/jwt.js'
import type { ChannelParams } from '../protocol/clientMessages.js'
import { ErrorCode } from '../protocol/errors.js'
import type { Channel } from '../protocol/items.js'
import { enqueue, sendJson, type Client } from './client.js'
import { hasPremiumFeatures, limitsOf, stripPremium, type Policy } from './entitlements.js'
import type { Hub } from './hub.js'

export type GrantDeps = { hub: Hub; policy: Policy; toleranceSec: number; onError(err: unknown, client: Client): void }

/** setTimeout's longest delay; longer waits are re-armed. */
const MAX_DELAY = 2 ** 31 - 1

/**
 * Gives a client the tier of a verified token: its rate, and for a premium token a timer that drops
 * the client back to free when the token expires. Losing premium features removes them from the
 * client's subscriptions, with an `unsubscribed` notice per changed channel.
 */
export function applyGrant(deps: GrantDeps, client: Client, grant: Grant): void {
  const hadPremium = hasPremiumFeatures(deps.policy, client.tier)
  client.cancelExpiry?.()
  client.cancelExpiry = undefined
  client.tier = grant.tier
  client.expiresAt = grant.expiresAt
  client.limiter.setRate(limitsOf(deps.policy, grant.tier).ratePerMin)
  if (grant.tier === 'premium' && grant.expiresAt !== null) {
    client.cancelExpiry = runAt((grant.expiresAt + deps.toleranceSec) * 1000, () => {
      enqueue(client, () => expire(deps, client), (err) => deps.onError(err, client))
    })
  }
  if (hadPremium && !hasPremiumFeatures(deps.policy, client.tier)) removePremiumSubscriptions(deps.hub, client)
}

function expire(deps: GrantDeps, client: Client): void {
  if (client.ws.readyState !== client.ws.OPEN) return
  sendJson(client, { type: 'error', code: ErrorCode.tokenExpired, message: 'token expired: this connection is free now; premium subscriptions were removed' })
  applyGrant(deps, client, { tier: 'free', expiresAt: null })
}

function removePremiumSubscriptions(hub: Hub, client: Client): void {
  for (const [channel, params] of [...client.subs]) {
    const kept = stripPremium(channel, params as ChannelParams[Channel])
    if (kept === params) continue
    hub.replace(client, channel, kept)
    sendJson(client, kept ? { type: 'unsubscribed', channel, params: kept } : { type: 'unsubscribed', channel }, channel)
  }
}

/** Calls `fn` at `time` (ms since the epoch), however far away; returns the cancel function. */
function runAt(time: number, fn: () => void): () => void {
  let timer: NodeJS.Timeout
  const arm = () => {
    const delay = time - Date.now()
    timer = setTimeout(delay > MAX_DELAY ? arm : fn, Math.max(0, Math.min(delay, MAX_DELAY)))
    timer.unref()
  }
  arm()
  return () => clearTimeout(timer)
}
