import type { Logger } from 'pino'
import type { RawData } from 'ws'
import type { Bus } from '../bus/bus.js'
import { parseClientMessage, peekId, type ClientMessage, type SubscribeMessage } from '../protocol/clientMessages.js'
import { ErrorCode, ProtocolError } from '../protocol/errors.js'
import { dataKey, type Channel } from '../protocol/items.js'
import { unixSeconds } from '../protocol/serverMessages.js'
import type { StateStore } from '../state/stateStore.js'
import { hold, release, sendJson, sendRaw, type Client } from './client.js'
import type { Hub } from './hub.js'

export type SessionDeps = { hub: Hub; bus: Bus; state: StateStore; logger: Logger; recentTokens: number }

/**
 * Handles one text frame from a client. Messages of one client are handled in order;
 * a bad message gets an `error` reply and the connection stays usable.
 */
export function handleFrame(deps: SessionDeps, client: Client, data: RawData, isBinary: boolean): void {
  if (isBinary) {
    sendJson(client, { type: 'error', code: ErrorCode.binaryNotSupported, message: 'binary frames are not supported; send JSON text' })
    return
  }
  const text = data.toString()
  let message: ClientMessage
  try {
    message = parseClientMessage(text)
  } catch (err) {
    replyError(client, err, peekId(text), deps.logger)
    return
  }
  client.queue = client.queue
    .then(() => handleMessage(deps, client, message))
    .catch((err: unknown) => replyError(client, err, message.id, deps.logger))
}

function replyError(client: Client, err: unknown, id: string | number | undefined, logger: Logger): void {
  const known = err instanceof ProtocolError
  if (!known) logger.error({ err, clientId: client.id }, 'message handling failed')
  const code = known ? err.code : ErrorCode.internal
  const message = known ? err.message : 'internal error'
  sendJson(client, withId({ type: 'error', code, message }, id))
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
  }
}

/** Subscribes, acknowledges, then sends the replay (`since`) or the snapshot before any newer live frame. */
async function subscribe(deps: SessionDeps, client: Client, message: SubscribeMessage): Promise<void> {
  const { channel } = message
  hold(client, channel)
  try {
    const params = deps.hub.subscribe(client, message)
    if (message.since === undefined) {
      sendJson(client, withId({ type: 'subscribed', channel, params }, message.id))
      await sendSnapshot(deps, client, message)
    } else {
      await replay(deps, client, channel, message.since, params, message.id)
    }
  } finally {
    release(client, channel)
  }
}

async function replay(deps: SessionDeps, client: Client, channel: Channel, since: number, params: unknown, id: string | number | undefined): Promise<void> {
  const history = await deps.bus.history(channel, since)
  sendJson(client, withId({ type: 'subscribed', channel, params, resumed: history.complete }, id))
  for (const message of history.messages) {
    const frame = deps.hub.frameFor(client, message)
    if (frame && frame.seq > (client.lastSeq.get(channel) ?? 0)) {
      client.lastSeq.set(channel, frame.seq)
      sendRaw(client, frame.bytes)
    }
  }
  if (!client.lastSeq.has(channel)) client.lastSeq.set(channel, Math.max(since, 0))
}

async function sendSnapshot(deps: SessionDeps, client: Client, message: SubscribeMessage): Promise<void> {
  let items: unknown[] = []
  if (message.channel === 'prices') {
    const tokens = message.params.tokens
    items = tokens.includes('*') ? await deps.state.allPrices() : await deps.state.prices(tokens)
  } else if (message.channel === 'tokens' && message.params.includeRecent) {
    items = await deps.state.recentTokens(deps.recentTokens)
  }
  if (items.length === 0) return
  const seq = await deps.bus.lastSeq(message.channel)
  sendJson(client, { type: 'data', channel: message.channel, data: { [dataKey[message.channel]]: items }, seq, snapshot: true })
}
