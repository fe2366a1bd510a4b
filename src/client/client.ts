import type { ChannelParams, UnsubscribeParams } from '../protocol/clientMessages.js'
import type { Channel, ChannelItems } from '../protocol/items.js'
import { parseServerMessage, type AuthenticatedMessage, type ErrorMessage, type ServerMessage, type SubscribedMessage } from '../protocol/serverMessages.js'
import { reconnectAtOnce, reconnectDelay } from './backoff.js'

/** The subset of the WebSocket API the client uses: the browser's, Node ≥ 22's global, or `ws`'s. */
export type WebSocketLike = {
  readonly readyState: number
  send(data: string): void
  close(code?: number, reason?: string): void
  onopen: ((event: unknown) => void) | null
  onmessage: ((event: { data: unknown }) => void) | null
  onclose: ((event: { code: number; reason: string }) => void) | null
  onerror: ((event: unknown) => void) | null
}
/**
 * A class with the browser's WebSocket API (used as {@link WebSocketLike}): the global one, or the
 * `ws` package's, passed as it is (`connect(url, { WebSocket })`); typed loosely so that both fit.
 */
export type WebSocketConstructor = new (url: string) => object

export type ClientOptions = {
  /** The WebSocket class (default: the global one; in Node 20 pass `WebSocket` from the `ws` package). */
  WebSocket?: WebSocketConstructor
  /** A JWT presented after every (re)connect (an `auth` message, whose refusal says why). */
  token?: string
  /** Reconnect backoff: from `minMs`, doubling, capped at `maxMs`, ±25 % jitter (default 250 ms, 15 s). After 1001/1012: at once. */
  reconnect?: { minMs?: number; maxMs?: number }
  /** Send a JSON `ping` when nothing arrived for this long (default 15 s)… */
  pingAfterMs?: number
  /** …and replace the connection when nothing arrived for this long (default 25 s). */
  deadAfterMs?: number
}

export type ClientState = 'connecting' | 'connected' | 'reconnecting' | 'closed'

/** Why a subscription's stream has a hole: the server could not resume it, or renumbered it (a new epoch). */
export type GapReason = 'not_resumed' | 'epoch' | 'renumbered'

/**
 * What a subscription's handler receives, in order. Every `data` and `reorg` exactly once across
 * reconnects and gateway changes; a `gap` when that could not be kept (a `prices`/`tokens` snapshot
 * follows it).
 */
export type ChannelEvent<C extends Channel = Channel> =
  | { type: 'subscribed'; channel: C; params: ChannelParams[C]; seq: number; resumed: boolean | null }
  | { type: 'data'; channel: C; items: ChannelItems[C][]; seq: number; snapshot: boolean }
  | { type: 'reorg'; channel: C; seq: number; fromBlock: number; toBlock: number; txHashes: string[]; ids: string[] }
  | { type: 'gap'; channel: C; reason: GapReason; seq: number }
  | { type: 'unsubscribed'; channel: C; params: ChannelParams[C] | null }
  | { type: 'error'; channel: C; code: string; message: string }

export type ChannelHandler<C extends Channel> = (event: ChannelEvent<C>) => void

/** A subscription to one channel: events to its handler, or iterated with `for await`. */
export type Subscription<C extends Channel> = AsyncIterable<ChannelEvent<C>> & {
  readonly channel: C
  /** Adds params (e.g. one more token) to the channel's subscription; its stream goes on. */
  add(params: SubscribeParams<C>): void
  /** Stops this subscription (the channel is left on the server once its last subscription stops). */
  unsubscribe(): void
}

/** What the client emits besides channel events. */
export type ClientEvents = {
  state: ClientState
  connected: { clientId: string; epoch: string; tier?: string; expiresAt?: number | null }
  /** The client's token (option `token` or `auth()`) was accepted, on each connection. */
  authenticated: { tier: string; expiresAt: number | null }
  /** The connection closed (`code` as the server or the network gave it); the next attempt starts in `retryInMs`. */
  disconnected: { code: number; retryInMs: number; attempt: number; wasConnected: boolean }
  /** A failure the client recovers from by itself (a refused request is also told to its subscription). */
  error: Error
}

/** A client of the server: connects, reconnects and resumes by itself. */
export type MemeClient = {
  /**
   * Subscribes to a channel. Params are merged into the channel's (as the server does: one
   * subscription per channel and connection); each handler gets the channel's events.
   */
  subscribe<C extends Channel>(channel: C, params: SubscribeParams<C>, handler?: ChannelHandler<C>): Subscription<C>
  /**
   * Leaves a channel (every subscription to it ends), or with params only removes those entries
   * (tokens, wallets, alert types). Resolves once the server applied it; at once when the server
   * does not hold the channel (disconnected, or refused): then only the client's params change, and
   * the next subscribe goes without those entries.
   */
  unsubscribe(channel: Channel, params?: UnsubscribeParams): Promise<void>
  /** Presents a token now and after every reconnect; resolves with the tier. */
  auth(token: string): Promise<AuthenticatedMessage>
  /** Stops presenting a token after reconnects (this connection keeps its tier until it ends). */
  auth(token: null): Promise<null>
  /** Closes for good. */
  close(): void
  on<K extends keyof ClientEvents>(event: K, listener: (value: ClientEvents[K]) => void): () => void
  state(): ClientState
  /** The epoch of the numbering the client's seqs belong to (null before the first `connected`). */
  epoch(): string | null
}

/** Subscribe params as a client writes them (the server fills in defaults). */
export type SubscribeParams<C extends Channel> = {
  prices: { tokens: string[] }
  tokens: { includeRecent?: boolean; minLiquidityUsd?: number; maxDevHeldPercent?: number; lpBurnedOnly?: boolean; excludeHoneypots?: boolean }
  trades: { tokens?: string[]; wallets?: string[]; minValueUsd?: number }
  alerts: { types?: string[]; tokens?: string[]; minSeverity?: 'info' | 'warning' | 'critical'; minValueUsd?: number }
  risk: { tokens: string[] }
}[C]

type Pending = {
  message: Record<string, unknown>
  /** Runs in the frame's own turn, before any later frame is handled (an `await` would run after them). */
  settle?: (reply: ServerMessage) => void
  resolve: (m: ServerMessage) => void
  reject: (e: Error) => void
}

type ChannelState = {
  params: Record<string, unknown>
  /** Its subscriptions: each gets every event; `end` stops an iterating one. */
  handlers: Set<{ handle: ChannelHandler<Channel>; end: () => void }>
  /** Newest seq handed to the handlers (null: nothing yet; a subscribe without `since`). */
  lastSeq: number | null
  /** Whether the server holds the subscription on this connection (false after it dropped it all). */
  onServer: boolean
}

/** A refused request (`error` reply), with the server's code. */
export class RequestError extends Error {
  override name = 'RequestError'
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

const OPEN = 1

/** Whether params select anything: `prices` and `risk` need tokens, `trades` tokens or wallets (the server refuses them empty). */
function selectsSomething(channel: Channel, params: Record<string, unknown>): boolean {
  const some = (key: string) => Array.isArray(params[key]) && (params[key] as unknown[]).length > 0
  if (channel === 'prices' || channel === 'risk') return some('tokens')
  if (channel === 'trades') return some('tokens') || some('wallets')
  return true
}

function merge(current: Record<string, unknown>, next: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...current }
  for (const [key, value] of Object.entries(next)) {
    const before = out[key]
    out[key] = Array.isArray(before) && Array.isArray(value) ? [...new Set([...before, ...value])] : value
  }
  return out
}

/**
 * Connects to a server and keeps the connection: reconnects with jittered exponential backoff (at
 * once after 1001/1012), presents the token, resubscribes every channel with `since` = the last seq
 * received (so handlers see each message exactly once, also on another gateway of the same epoch),
 * reports a `gap` when the server could not resume (or the epoch changed), pings when silent and
 * replaces a dead connection, and resends a request refused with `rate_limited` after `retryAfterMs`.
 *
 * @example
 * const client = connect('ws://localhost:3003', { WebSocket }) // `ws` in Node 20
 * client.subscribe('trades', { tokens: ['*'] }, (event) => event.type === 'data' && console.log(event.items))
 */
export function connect(url: string | readonly string[] | (() => string), options: ClientOptions = {}): MemeClient {
  const urls = typeof url === 'string' ? [url] : typeof url === 'function' ? [] : [...url]
  const nextUrl = typeof url === 'function' ? url : () => urls[opened % urls.length]!
  if (typeof url !== 'function' && urls.length === 0) throw new Error('connect: no URL')
  const available = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket
  if (!available) throw new Error('no WebSocket available: pass options.WebSocket (e.g. from the ws package)')
  const Socket = available as new (url: string) => WebSocketLike
  const minMs = options.reconnect?.minMs ?? 250
  const maxMs = options.reconnect?.maxMs ?? 15_000
  const pingAfterMs = options.pingAfterMs ?? 15_000
  const deadAfterMs = options.deadAfterMs ?? 25_000
  const channels = new Map<Channel, ChannelState>()
  const pending = new Map<string, Pending>()
  /** Ids of sent frames not answered yet, in send order: the server answers in order, and its `rate_limited` carries no id (the refused frame is not parsed), so it refers to the oldest. */
  let unanswered: string[] = []
  const listeners: { [K in keyof ClientEvents]: Set<(v: ClientEvents[K]) => void> } = { state: new Set(), connected: new Set(), authenticated: new Set(), disconnected: new Set(), error: new Set() }
  let token = options.token ?? null
  let socket: WebSocketLike | null = null
  let state: ClientState = 'connecting'
  let epoch: string | null = null
  let attempt = 0
  /** Whether the current connection got its `connected` message… */
  let established = false
  /** …and whether its subscribes went out (after the token): until then `subscribe` only records. */
  let subscribing = false
  /** Connections opened so far: with several URLs, each reconnect goes to the next one. */
  let opened = 0
  let nextId = 0
  let lastHeard = Date.now()
  let pinged = false
  let closed = false
  let retryTimer: ReturnType<typeof setTimeout> | undefined
  let healthyTimer: ReturnType<typeof setTimeout> | undefined

  const emit = <K extends keyof ClientEvents>(event: K, value: ClientEvents[K]) => {
    for (const l of listeners[event]) l(value)
  }
  const setState = (next: ClientState) => {
    if (state === next) return
    state = next
    emit('state', next)
  }
  const tell = (channel: Channel, event: ChannelEvent) => {
    // A copy: a handler may subscribe or unsubscribe while it is told.
    for (const handler of [...(channels.get(channel)?.handlers ?? [])]) handler.handle(event)
  }

  /** Sends a request with an id; the promise settles with its reply (rejects while disconnected: callers redo it on reconnect). */
  function request(message: Record<string, unknown>, settle?: (reply: ServerMessage) => void): Promise<ServerMessage> {
    const id = `c${++nextId}`
    return new Promise((resolve, reject) => {
      if (socket?.readyState !== OPEN) return reject(new Error('not connected'))
      pending.set(id, { message: { ...message, id }, ...(settle ? { settle } : {}), resolve, reject })
      send(id)
    })
  }

  function send(id: string): void {
    const p = pending.get(id)
    if (!p || socket?.readyState !== OPEN) return
    unanswered.push(id)
    socket.send(JSON.stringify(p.message))
  }

  function open(): void {
    const ws = new Socket(nextUrl())
    opened++
    socket = ws
    lastHeard = Date.now()
    ws.onmessage = (event) => ws === socket && onFrame(String(event.data))
    ws.onclose = (event) => ws === socket && onClose(event.code)
    ws.onerror = () => {}
  }

  function onClose(code: number): void {
    socket = null
    clearTimeout(healthyTimer)
    for (const p of pending.values()) p.reject(new Error('connection closed'))
    pending.clear()
    unanswered = []
    if (closed) return setState('closed')
    setState('reconnecting')
    // A server that restarts (1012) or goes away (1001) asks its clients back at once; they spread over 100 ms.
    const wasConnected = established
    const atOnce = reconnectAtOnce.has(code) && wasConnected
    const delay = atOnce ? Math.round(Math.random() * 100) : reconnectDelay(attempt, minMs, maxMs)
    attempt = atOnce ? 0 : attempt + 1
    established = false
    subscribing = false
    for (const s of channels.values()) s.onServer = false
    retryTimer = setTimeout(open, delay)
    emit('disconnected', { code, retryInMs: delay, attempt, wasConnected })
  }

  function onFrame(text: string): void {
    lastHeard = Date.now()
    pinged = false
    let message: ServerMessage
    try {
      message = parseServerMessage(text)
    } catch (err) {
      return emit('error', err as Error)
    }
    if (message.type === 'connected') return void onConnected(message)
    if (message.type === 'error' && message.code === 'rate_limited') {
      const refused = unanswered.shift()
      if (refused !== undefined) setTimeout(() => send(refused), message.retryAfterMs ?? 1000)
      return
    }
    const id = (message as { id?: string | number }).id
    const reply = id !== undefined ? pending.get(String(id)) : undefined
    if (reply) {
      unanswered = unanswered.filter((u) => u !== String(id))
      pending.delete(String(id))
      reply.settle?.(message)
      if (message.type === 'error') reply.reject(new RequestError(message.code, message.message))
      else reply.resolve(message)
      return
    }
    if (message.type === 'data') onData(message)
    else if (message.type === 'reorg') onReorg(message)
    else if (message.type === 'subscribed') onRenumbered(message)
    else if (message.type === 'unsubscribed') onDropped(message.channel, message.params ?? null)
    else if (message.type === 'error') emit('error', new RequestError(message.code, message.message))
  }

  async function onConnected(message: Extract<ServerMessage, { type: 'connected' }>): Promise<void> {
    if (epoch !== null && message.epoch !== epoch) for (const [channel, s] of channels) if (s.lastSeq !== null) gap(channel, 'epoch', s)
    epoch = message.epoch
    established = true
    setState('connected')
    healthyTimer = setTimeout(() => (attempt = 0), 10_000)
    emit('connected', message)
    const ws = socket
    if (token !== null) await presentToken(token).catch((err: unknown) => emit('error', err as Error))
    if (socket !== ws || !ws) return // closed meanwhile: the next connection subscribes
    subscribing = true
    for (const channel of channels.keys()) subscribeOnServer(channel, true)
  }

  /** Tells a hole in the stream; `forget`: the numbering is lost and the next subscribe starts afresh (a snapshot for prices/tokens). */
  function gap(channel: Channel, reason: GapReason, s: ChannelState, seq = s.lastSeq ?? 0, forget = true): void {
    if (forget) s.lastSeq = null
    tell(channel, { type: 'gap', channel, reason, seq })
  }

  async function presentToken(value: string): Promise<AuthenticatedMessage> {
    try {
      const reply = (await request({ type: 'auth', token: value })) as AuthenticatedMessage
      emit('authenticated', { tier: reply.tier, expiresAt: reply.expiresAt })
      return reply
    } catch (err) {
      if (err instanceof RequestError && (err.code === 'unauthorized' || err.code === 'auth_disabled')) token = null
      throw err
    }
  }

  /**
   * Subscribes a channel with its merged params: after a (re)connect resuming after its last seq
   * (`resume`), else adding params to a live subscription (its stream goes on as it is). The reply
   * is handled in its frame's turn, so the handler hears of it before the data that follows it.
   */
  function subscribeOnServer(channel: Channel, resume: boolean): void {
    const s = channels.get(channel)
    if (!s || !selectsSomething(channel, s.params)) return // nothing to ask for yet: `add` subscribes it
    const since = resume ? s.lastSeq : null
    const params = since === null ? s.params : { ...s.params, since }
    const settle = (reply: ServerMessage) => {
      if (channels.get(channel) !== s) return
      if (reply.type === 'error') return tell(channel, { type: 'error', channel, code: reply.code, message: reply.message })
      if (reply.type === 'subscribed') onSubscribed(channel, s, since, reply)
    }
    request({ type: 'subscribe', channel, params }, settle).catch(() => {}) // a refusal was told by settle; a lost connection resubscribes
  }

  function onSubscribed(channel: Channel, s: ChannelState, since: number | null, reply: SubscribedMessage): void {
    s.params = { ...reply.params }
    s.onServer = true
    if (since !== null && reply.resumed === false) {
      // The history did not reach back: the hole is told first, then what it still has is replayed
      // (after `since`, which stays the resume point until newer data arrives).
      gap(channel, 'not_resumed', s, reply.seq, false)
      // Prices and recent launches: their snapshot is the truth again.
      if (channel === 'prices' || channel === 'risk' || (channel === 'tokens' && s.params['includeRecent'])) return subscribeOnServer(channel, false)
    } else s.lastSeq ??= reply.seq
    tell(channel, { type: 'subscribed', channel, params: reply.params, seq: reply.seq, resumed: since === null ? null : (reply.resumed ?? null) })
  }

  function onData(message: Extract<ServerMessage, { type: 'data' }>): void {
    const s = channels.get(message.channel)
    if (!s) return
    if (!message.snapshot && s.lastSeq !== null && message.seq <= s.lastSeq) return // already handed over
    if (!message.snapshot || s.lastSeq === null || message.seq > s.lastSeq) s.lastSeq = message.seq
    const items = (message.data as Record<string, unknown[]>)[message.channel] as ChannelItems[Channel][]
    tell(message.channel, { type: 'data', channel: message.channel, items, seq: message.seq, snapshot: message.snapshot === true } as ChannelEvent)
  }

  function onReorg(message: Extract<ServerMessage, { type: 'reorg' }>): void {
    const s = channels.get(message.channel)
    if (!s || (s.lastSeq !== null && message.seq <= s.lastSeq)) return
    s.lastSeq = message.seq
    tell(message.channel, { type: 'reorg', channel: message.channel, seq: message.seq, fromBlock: message.fromBlock, toBlock: message.toBlock, txHashes: message.txHashes, ids: message.ids ?? [] })
  }

  /** Unasked `subscribed`: the server renumbered the channel; its snapshot (if any) follows. */
  function onRenumbered(message: SubscribedMessage): void {
    const s = channels.get(message.channel)
    if (!s) return
    if (message.epoch) epoch = message.epoch
    tell(message.channel, { type: 'gap', channel: message.channel, reason: 'renumbered', seq: message.seq })
    s.lastSeq = message.seq
  }

  /** Unasked `unsubscribed`: the server removed entries (a premium token expired). */
  function onDropped(channel: Channel, params: ChannelParams[Channel] | null): void {
    const s = channels.get(channel)
    if (!s) return
    s.params = params ? { ...params } : {}
    s.onServer = params !== null
    tell(channel, { type: 'unsubscribed', channel, params })
  }

  /**
   * Merges params into a channel's and, once this connection's subscribes went out, sends them (a
   * fresh channel even with none); a channel the server had dropped resumes after its last seq.
   */
  function addParams(channel: Channel, params: Record<string, unknown>, fresh: boolean): void {
    const s = channels.get(channel)
    if (!s) return
    s.params = merge(s.params, params)
    if (subscribing && (fresh || !s.onServer || Object.keys(params).length > 0)) subscribeOnServer(channel, !s.onServer)
  }

  /** Removes entries from a channel's subscription; the server's reply says what is left. */
  async function removeParams(channel: Channel, params: UnsubscribeParams): Promise<void> {
    const s = channels.get(channel)
    if (!s) return
    for (const [key, values] of Object.entries(params)) if (Array.isArray(s.params[key])) s.params[key] = (s.params[key] as unknown[]).filter((v) => !(values as unknown[]).includes(v))
    if (!subscribing || !s.onServer) return
    const settle = (reply: ServerMessage) => {
      if (reply.type !== 'unsubscribed' || channels.get(channel) !== s) return
      s.params = reply.params ? { ...reply.params } : {}
      s.onServer = reply.params !== undefined
    }
    await request({ type: 'unsubscribe', channel, params }, settle).catch(() => {})
  }

  async function leave(channel: Channel): Promise<void> {
    if (!channels.delete(channel)) return
    if (socket?.readyState === OPEN) await request({ type: 'unsubscribe', channel }).catch(() => {})
  }

  const heartbeat = setInterval(() => {
    if (socket?.readyState !== OPEN) return
    const silent = Date.now() - lastHeard
    if (silent > deadAfterMs) {
      const dead = socket
      socket = null
      dead.onclose = null
      dead.close()
      onClose(1006)
    } else if (silent > pingAfterMs && !pinged) {
      pinged = true
      request({ type: 'ping' }).catch(() => {})
    }
  }, Math.max(250, Math.min(pingAfterMs, deadAfterMs) / 4))
  ;(heartbeat as { unref?: () => void }).unref?.()

  open()

  return {
    subscribe<C extends Channel>(channel: C, params: SubscribeParams<C>, handler?: ChannelHandler<C>): Subscription<C> {
      const fresh = !channels.has(channel)
      const s = channels.get(channel) ?? { params: {}, handlers: new Set(), lastSeq: null, onServer: false }
      channels.set(channel, s)
      const queue: ChannelEvent<C>[] = []
      let wake: (() => void) | null = null
      let done = false
      const own = {
        handle: handler
          ? (handler as ChannelHandler<Channel>)
          : (event: ChannelEvent) => {
              queue.push(event as ChannelEvent<C>)
              wake?.()
            },
        end: () => {
          done = true
          wake?.()
        },
      }
      s.handlers.add(own)
      addParams(channel, params as Record<string, unknown>, fresh)
      const unsubscribe = () => {
        own.end()
        const current = channels.get(channel)
        if (!current?.handlers.delete(own) || current.handlers.size > 0) return
        void leave(channel)
      }
      return {
        channel,
        unsubscribe,
        add: (more) => addParams(channel, more as Record<string, unknown>, false),
        async *[Symbol.asyncIterator]() {
          while (!done) {
            const next = queue.shift()
            if (next) yield next
            else await new Promise<void>((resolve) => (wake = resolve))
          }
        },
      }
    },
    unsubscribe(channel, params) {
      if (params) return removeParams(channel, params)
      for (const handler of channels.get(channel)?.handlers ?? []) handler.end()
      return leave(channel)
    },
    auth: ((value: string | null) => {
      token = value
      return value === null ? Promise.resolve(null) : presentToken(value)
    }) as MemeClient['auth'],
    close() {
      closed = true
      clearTimeout(retryTimer)
      clearInterval(heartbeat)
      if (socket) socket.close(1000, 'client closed')
      else setState('closed')
    },
    on(event, listener) {
      listeners[event].add(listener)
      return () => void listeners[event].delete(listener)
    },
    state: () => state,
    epoch: () => epoch,
  }
}

export type { ErrorMessage }
