/*
 * Core Meme live dashboard: a plain client of the public WebSocket protocol (README, "WebSocket API"),
 * with no framework and no build step. Read it as an example of how to:
 *  - subscribe to `tokens` (with recent launches), `trades`, `alerts` and `prices` (for the tokens shown),
 *  - reconnect with backoff and resume each channel with `params.since` = the last `seq` received,
 *  - handle `resumed: false` (re-read the snapshot) and `reorg` (drop the removed trades),
 *  - present a JWT given as `?token=` in the page URL, and work in the free tier when the server has JWT on,
 *  - render at most once per animation frame, with capped lists, and never parse server text as HTML.
 */
/* global window, document, location, WebSocket, fetch, requestAnimationFrame, setTimeout, setInterval, AbortSignal, URL, URLSearchParams */

const MAX_TRADES = 100
const MAX_LAUNCHES = 30
const MAX_ALERTS = 50
const MAX_PRICE_ROWS = 24
const SPARK_POINTS = 40
const MAX_CANDLES = 60
/** At most one prices (un)subscribe batch per this delay: the server allows ~100 messages a minute. */
const WATCH_DELAY_MS = 3000
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 15000]
const SILENCE_PING_MS = 15000
const SILENCE_DROP_MS = 25000
const SVG = 'http://www.w3.org/2000/svg'
const ADDRESS = /^0x[0-9a-fA-F]{40}$/
/** What a free connection gets for alert types `"*"` (README, "Premium tier"). */
const FREE_ALERT_TYPES = ['price', 'volume']
const FREE_TIER = 'free tier: all trades and whale/rug alerts need a premium token (showing the trades of the listed tokens, and price and volume alerts)'

const state = {
  ws: null,
  status: 'connecting',
  /** The subscriptions of the current connection have been sent. */
  ready: false,
  /** ids of the subscriptions sent on connect not yet acknowledged: `connected` once there are none. */
  unacknowledged: new Set(),
  retryAt: 0,
  attempt: 0,
  nextId: 0,
  /** Last message on the current connection (silence detection). */
  lastMessageAt: 0,
  /** The server's epoch: seqs from another epoch cannot be resumed. */
  epoch: undefined,
  /** channel → newest `seq` received: sent back as `params.since` after a reconnect. */
  lastSeq: {},
  /**
   * Messages sent and not answered yet, oldest first. The server answers each message once, in order,
   * echoing its `id` (a `rate_limited` error carries none: it answers the oldest).
   */
  inflight: [],
  health: null,
  healthError: null,
  received: 0,
  rate: 0,
  notice: '',
  /** address → { address, symbol, name }: every token seen (launch or trade). */
  tokens: new Map(),
  launches: [],
  trades: [],
  alerts: [],
  /** address → price row: the tokens shown in the prices table (and subscribed on `prices`). */
  rows: new Map(),
  /** tokens the server has on our `prices` subscription (the diff with `rows` is sent in batches). */
  subscribedPrices: new Set(),
  /** `"*"` on trades needs a premium token when the server has JWT on: then follow the shown tokens. */
  tradesByToken: false,
  /**
   * The JWT of the page URL's `?token=`, put on the WebSocket upgrade URL (never shown, never logged).
   * Dropped when it expires or the server refuses it: the page then carries on as free.
   */
  token: tokenOfPage(),
  /**
   * The last connection with the token on its URL closed before `connected`: maybe an HTTP 401 (a
   * browser cannot tell). The next one connects without it and presents it in an `auth` message,
   * whose answer says whether it is valid; the token goes back on the URL once it is accepted.
   */
  authByMessage: false,
  /** This connection got its `connected`. */
  greeted: false,
  /** The tier of the connection (`connected`, `authenticated`): free or premium; undefined when the server has no JWT. */
  tier: undefined,
  /** When the premium token expires (Unix seconds), or null. */
  expiresAt: null,
  /** Why the page is free although it had a token: '' (none given), or what happened to it. */
  tokenProblem: '',
  /** The alert types the server gave our `alerts` subscription (`["*"]`: all of them). */
  alertTypes: null,
  selected: null,
  /** The user picked the charted token; until then the chart follows the most traded token. */
  pinned: false,
  candles: [],
}

const $ = (id) => document.getElementById(id)
const dirty = new Set()
let frame = 0
let watchTimer = 0
let lastWatchAt = 0

// ---------------------------------------------------------------------------------------------
// Connection: connect, reconnect with backoff, resume with `since`

/** `?token=` of the page URL, or null. */
function tokenOfPage() {
  const token = new URLSearchParams(location.search).get('token')
  return token && token.length <= 8192 ? token : null
}

/** The page's origin and path as ws(s)://, with the token as `?token=` when `withToken`. */
function wsUrl(withToken) {
  const url = new URL('.', location.href)
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
  if (withToken) url.searchParams.set('token', state.token)
  return url.href
}

function connect() {
  const ws = new WebSocket(wsUrl(state.token !== null && !state.authByMessage))
  state.ws = ws
  state.greeted = false
  state.lastMessageAt = Date.now()
  ws.onmessage = (event) => onMessage(ws, event)
  ws.onclose = (event) => onClose(ws, event.code)
}

function onClose(ws, code) {
  if (state.ws !== ws) return
  state.ws = null
  state.ready = false
  // Refused on the upgrade (a 401 for a bad or expired token) or the server is unreachable: the next
  // connection presents the token in an `auth` message, whose answer tells which.
  if (state.token !== null && !state.greeted) state.authByMessage = true
  state.unacknowledged.clear()
  state.inflight = []
  state.subscribedPrices.clear()
  const delay = (code === 1001 || code === 1012) && state.attempt === 0 ? 250 : BACKOFF_MS[Math.min(state.attempt, BACKOFF_MS.length - 1)]
  state.attempt++
  const jittered = Math.round(delay * (0.75 + Math.random() * 0.5))
  state.retryAt = Date.now() + jittered
  setStatus('reconnecting')
  setTimeout(connect, jittered)
}

/** Gives up on a connection that went silent (a dead link the browser has not noticed yet). */
function drop(ws) {
  ws.onclose = null
  ws.close()
  onClose(ws, 0)
}

/** Sends a message with a fresh `id` and remembers it until its reply; returns the id. */
function send(message, params = message.params) {
  if (!state.ws || state.ws.readyState !== WebSocket.OPEN) return null
  const id = message.id ?? `${message.channel ?? message.type}-${++state.nextId}`
  const sent = { ...message, id }
  state.inflight.push({ message: sent, channel: message.channel, params })
  state.ws.send(JSON.stringify(sent))
  return id
}

function subscribe(channel, params, { resume = true } = {}) {
  const since = resume ? state.lastSeq[channel] : undefined
  return send({ type: 'subscribe', channel, params: since === undefined ? params : { ...params, since } }, params)
}

/** The request a reply answers (and everything older, which was answered already). */
function answered(id) {
  const i = id === undefined ? 0 : state.inflight.findIndex((r) => r.message.id === id)
  return i < 0 ? undefined : state.inflight.splice(0, i + 1).at(-1)
}

/** The page is live once every subscription sent on connect has been answered. */
function acknowledge(request) {
  if (request && state.unacknowledged.delete(request.message.id) && state.unacknowledged.size === 0) setStatus('connected')
}

function tradesParams(tokens) {
  return state.tradesByToken ? { tokens } : { tokens: ['*'] }
}

function onConnected(ws, message) {
  setStatus('subscribing')
  state.greeted = true
  setTier(message.tier, message.expiresAt)
  // Answered (and applied) before the subscribes that follow: the server handles messages in order.
  const authenticating = state.token !== null && state.authByMessage
  if (authenticating) send({ type: 'auth', token: state.token })
  // A free connection would get `premium_required` for trades "*": follow the listed tokens at once.
  state.tradesByToken = state.tier === 'free' && !authenticating
  // Seqs are comparable only within one epoch. The epoch belongs to the bus: the same on every
  // gateway behind a load balancer, so a reconnect to another gateway resumes. A new epoch means the
  // numbering restarted (a single server restarted, or Redis lost its history): subscribe afresh.
  if (state.epoch !== undefined && message.epoch !== state.epoch && Object.keys(state.lastSeq).length > 0) {
    state.lastSeq = {}
    markGap('the stream was renumbered (server or bus restarted)')
  }
  state.epoch = message.epoch
  const shown = [...state.rows.keys()]
  const ids = [subscribe('tokens', { includeRecent: true }), subscribe('alerts', { types: ['*'] })]
  if (!state.tradesByToken || shown.length > 0) ids.push(subscribe('trades', tradesParams(shown)))
  if (shown.length > 0) {
    ids.push(subscribe('prices', { tokens: shown }))
    shown.forEach((a) => state.subscribedPrices.add(a))
  }
  state.unacknowledged = new Set(ids.filter(Boolean))
  state.ready = true
  scheduleWatch()
  setTimeout(() => state.ws === ws && (state.attempt = 0), 5000)
}

function onMessage(ws, event) {
  if (state.ws !== ws) return
  state.received++
  state.lastMessageAt = Date.now()
  let message
  try {
    message = JSON.parse(event.data)
  } catch {
    return
  }
  if (!message || typeof message !== 'object') return
  switch (message.type) {
    case 'connected': return onConnected(ws, message)
    case 'subscribed': return onSubscribed(message)
    case 'data': return onData(message)
    case 'reorg': return onReorg(message)
    case 'error': return onError(message)
    case 'authenticated': return onAuthenticated(message)
    case 'unsubscribed': return message.id === undefined ? onUnsubscribedByServer(message) : void answered(message.id)
    case 'pong': return void answered(message.id)
  }
}

function onSubscribed(message) {
  if (message.id === undefined) return onResynchronised(message)
  const request = answered(message.id)
  acknowledge(request)
  // Resume from the channel's seq at subscribe time even if nothing arrives before a disconnect.
  if (request && typeof message.seq === 'number' && state.lastSeq[request.channel] === undefined) state.lastSeq[request.channel] = message.seq
  if (request && request.channel === 'alerts') setAlertTypes(message.params)
  if (!request || message.resumed !== false) return
  // The server's history no longer reaches back to our seq: re-read the snapshot, or say what was missed.
  if (request.channel === 'tokens' || request.channel === 'prices') subscribe(request.channel, request.params, { resume: false })
  else markGap(`some ${request.channel} were missed`)
}

/**
 * Unasked: the server renumbered a channel (its bus lost history, or a gap could not be filled). It
 * sends the snapshot itself right after; trades and alerts from the hole are gone.
 */
function onResynchronised(message) {
  if (typeof message.epoch === 'string') state.epoch = message.epoch
  if (message.channel === 'alerts') setAlertTypes(message.params)
  if (typeof message.seq === 'number') state.lastSeq[message.channel] = message.seq
  if (message.channel === 'trades' || message.channel === 'alerts') markGap(`the ${message.channel} stream was renumbered`)
}

function onError(message) {
  if (message.code === 'token_expired') return onTokenExpired()
  const request = answered(message.id)
  if (request && message.code === 'rate_limited') {
    const ws = state.ws
    setTimeout(() => state.ws === ws && send(request.message, request.params), Number(message.retryAfterMs) || 2000)
    return
  }
  acknowledge(request)
  if (request && request.message.type === 'auth' && message.code === 'unauthorized') {
    // The token is invalid or expired: carry on as free (the subscribes that follow fall back).
    return dropToken(`token refused (${String(message.message).slice(0, 200)})`, 'the token was refused: continuing as free')
  }
  if (request && request.message.type === 'auth' && message.code === 'auth_disabled') {
    // No JWT on this server: every feature is open, the token is not needed.
    state.token = null
    state.authByMessage = false
    return
  }
  if (request && message.code === 'premium_required') {
    // Only a free connection on a server with JWT gets it (a server that does not state the tier in `connected`).
    if (state.tier === undefined) setTier('free', null)
    if (request.channel === 'trades' && !state.tradesByToken) return followListedTrades({ resume: false })
    // The page asks alert types "*", which a free connection gets as the free types; asked otherwise, fall back to those.
    if (request.channel === 'alerts') return void subscribe('alerts', { types: FREE_ALERT_TYPES }, { resume: false })
  }
  setNotice(`server error ${String(message.code)}: ${String(message.message)}`)
}

/** Free tier: no trades "*"; follow the trades of the tokens listed (resuming where the stream was, if asked). */
function followListedTrades({ resume }) {
  state.tradesByToken = true
  if (state.rows.size > 0) subscribe('trades', tradesParams([...state.rows.keys()]), { resume })
  touch('tier')
}

function onAuthenticated(message) {
  answered(message.id)
  // The token is valid: later connections carry it on their URL again.
  state.authByMessage = false
  setTier(message.tier, message.expiresAt)
}

/** The premium token expired on this connection: the server made it free and removes "*" (notices follow). */
function onTokenExpired() {
  dropToken('premium token expired', 'the premium token expired: continuing as free')
  setTier('free', null)
}

function dropToken(problem, notice) {
  state.token = null
  state.authByMessage = false
  state.tokenProblem = problem
  setNotice(notice)
  touch('tier')
}

/**
 * Unasked: the server took premium features off our subscriptions (the token expired, or a free token
 * replaced it). `params` is what is left; none: the channel is gone.
 */
function onUnsubscribedByServer(message) {
  const params = message.params && typeof message.params === 'object' ? message.params : null
  if (message.channel === 'trades') {
    // No trades "*" any more: follow the listed tokens, from the last trade seen (replayed, none missed).
    followListedTrades({ resume: true })
  } else if (message.channel === 'alerts') {
    setAlertTypes(params ?? { types: [] })
  } else if (message.channel === 'prices') {
    state.subscribedPrices = new Set(params && Array.isArray(params.tokens) ? params.tokens : [])
    scheduleWatch()
  }
}

function onData(message) {
  const channel = message.channel
  const items = message.data && Array.isArray(message.data[channel]) ? message.data[channel] : []
  if (typeof message.seq === 'number' && message.seq > (state.lastSeq[channel] ?? -1)) state.lastSeq[channel] = message.seq
  if (channel === 'tokens') items.forEach(onLaunch)
  else if (channel === 'trades') items.forEach(onTrade)
  else if (channel === 'prices') items.forEach(onPrice)
  else if (channel === 'alerts') items.forEach(onAlert)
}

/** Items the reorg removed: the message names their transactions. Alerts may carry theirs in `data`. */
const reorgLists = { trades: 'trades', tokens: 'launches', alerts: 'alerts' }

function onReorg(message) {
  const channel = message.channel
  if (typeof message.seq === 'number' && message.seq > (state.lastSeq[channel] ?? -1)) state.lastSeq[channel] = message.seq
  const list = reorgLists[channel]
  if (!list) return
  const gone = new Set(Array.isArray(message.txHashes) ? message.txHashes : [])
  const before = state[list].length
  state[list] = state[list].filter((item) => !gone.has(item.txHash ?? (item.data && item.data.txHash)))
  const dropped = before - state[list].length
  const noun = { trades: 'trade', tokens: 'launch', alerts: 'alert' }[channel]
  if (dropped > 0 || channel === 'trades') setNotice(`reorg of blocks ${message.fromBlock}–${message.toBlock}: ${dropped} ${noun}${dropped === 1 ? '' : noun === 'launch' ? 'es' : 's'} dropped`)
  touch(channel)
}

// ---------------------------------------------------------------------------------------------
// Channel items → state

function onLaunch(item) {
  if (!item || !ADDRESS.test(item.address)) return
  remember(item.address, item.symbol, item.name)
  if (!state.launches.some((t) => t.address === item.address)) {
    state.launches.push(item)
    state.launches.sort((a, b) => (b.blockNumber ?? 0) - (a.blockNumber ?? 0) || (b.timestamp ?? 0) - (a.timestamp ?? 0))
    state.launches.length = Math.min(state.launches.length, MAX_LAUNCHES)
  }
  show(item.address, (item.timestamp ?? 0) * 1000)
  touch('tokens')
}

function onTrade(trade) {
  if (!trade || !ADDRESS.test(trade.tokenAddress) || typeof trade.txHash !== 'string') return
  const key = `${trade.txHash}:${trade.logIndex ?? 0}`
  if (state.trades.some((t) => t.key === key)) return
  state.trades.unshift({ ...trade, key })
  if (state.trades.length > MAX_TRADES) state.trades.length = MAX_TRADES
  remember(trade.tokenAddress, trade.tokenSymbol)
  const row = show(trade.tokenAddress, Date.now())
  row.sessionVolume += finite(trade.valueUsd) ?? 0
  if (!row.live) setRowPrice(row, finite(trade.priceUsd) ?? finite(trade.price), finite(trade.priceUsd) !== null)
  if (state.selected === trade.tokenAddress) addToCandles(trade)
  touch('trades', 'prices')
}

function onPrice(item) {
  if (!item || !ADDRESS.test(item.tokenAddress)) return
  const row = state.rows.get(item.tokenAddress)
  if (!row) return
  row.live = true
  const usd = finite(item.price)
  setRowPrice(row, usd ?? finite(item.priceCore), usd !== null)
  row.change = finite(item.priceChange24h)
  row.volume = finite(item.volume24h)
  row.liquidity = finite(item.liquidity)
  if (typeof item.symbol === 'string') remember(item.tokenAddress, item.symbol)
  touch('prices')
}

function onAlert(alert) {
  if (!alert || typeof alert.id !== 'string' || state.alerts.some((a) => a.id === alert.id)) return
  state.alerts.unshift(alert)
  if (state.alerts.length > MAX_ALERTS) state.alerts.length = MAX_ALERTS
  touch('alerts')
}

function remember(address, symbol, name) {
  const known = state.tokens.get(address) ?? { address, symbol: null, name: null }
  if (typeof symbol === 'string') known.symbol = symbol
  if (typeof name === 'string') known.name = name
  state.tokens.set(address, known)
}

function symbolOf(address) {
  return state.tokens.get(address)?.symbol ?? shortAddress(address)
}

/** Puts a token in the prices table (evicting the least recently active one) and returns its row. */
function show(address, activeAt) {
  let row = state.rows.get(address)
  if (!row) {
    row = { address, price: null, usd: false, change: null, volume: null, liquidity: null, sessionVolume: 0, live: false, history: [], activeAt }
    state.rows.set(address, row)
    if (state.rows.size > MAX_PRICE_ROWS) evictQuietest()
    scheduleWatch()
  }
  row.activeAt = Math.max(row.activeAt, activeAt)
  touch('prices')
  return row
}

function evictQuietest() {
  let quietest = null
  for (const row of state.rows.values()) if (row.address !== state.selected && (!quietest || row.activeAt < quietest.activeAt)) quietest = row
  if (quietest) state.rows.delete(quietest.address)
}

function setRowPrice(row, price, usd) {
  if (price === null) return
  row.price = price
  row.usd = usd
  row.history.push(price)
  if (row.history.length > SPARK_POINTS) row.history.shift()
}

/** Sends the difference between the tokens shown and those subscribed on `prices`: soon, but one batch per WATCH_DELAY_MS. */
function scheduleWatch() {
  if (!watchTimer) watchTimer = setTimeout(syncPriceSubscription, Math.max(50, lastWatchAt + WATCH_DELAY_MS - Date.now()))
}

function syncPriceSubscription() {
  watchTimer = 0
  if (!state.ready) return // onConnected subscribes every shown token
  const added = [...state.rows.keys()].filter((a) => !state.subscribedPrices.has(a))
  const removed = [...state.subscribedPrices].filter((a) => !state.rows.has(a))
  if (added.length > 0) {
    subscribe('prices', { tokens: added }, { resume: false })
    if (state.tradesByToken) subscribe('trades', { tokens: added }, { resume: false })
  }
  if (removed.length > 0) {
    send({ type: 'unsubscribe', channel: 'prices', params: { tokens: removed } })
    if (state.tradesByToken) send({ type: 'unsubscribe', channel: 'trades', params: { tokens: removed } })
  }
  added.forEach((a) => state.subscribedPrices.add(a))
  removed.forEach((a) => state.subscribedPrices.delete(a))
  if (added.length + removed.length > 0) lastWatchAt = Date.now()
}

// ---------------------------------------------------------------------------------------------
// Chart: 1-minute candles from GET /tokens/:address/candles, then live from the trades

async function select(address, pinned = state.pinned) {
  if (!ADDRESS.test(address)) return
  state.pinned = pinned
  state.selected = address
  state.candles = []
  touch('chart', 'prices')
  try {
    const res = await fetch(`tokens/${address}/candles?interval=1m`, { signal: AbortSignal.timeout(5000) })
    const body = res.ok ? await res.json() : null
    const list = Array.isArray(body) ? body : body && Array.isArray(body.candles) ? body.candles : []
    const candles = list.map(toCandle).filter(Boolean).slice(-MAX_CANDLES)
    if (state.selected !== address) return
    // Keep the live candles newer than what the server had.
    const newest = candles.at(-1)?.time ?? -Infinity
    state.candles = [...candles, ...state.candles.filter((c) => c.time > newest)]
    touch('chart')
  } catch {
    // No candles endpoint (yet), or it failed: the chart fills from live trades.
  }
}

function toCandle(raw) {
  if (!raw || typeof raw !== 'object') return null
  let time = Number(raw.time ?? raw.timestamp)
  if (time > 1e12) time = Math.floor(time / 1000)
  const [open, high, low, close] = ['open', 'high', 'low', 'close'].map((k) => Number(raw[k]))
  if (![time, open, high, low, close].every(Number.isFinite)) return null
  return { time, open, high, low, close, volume: Number(raw.volume) || 0 }
}

function addToCandles(trade) {
  const price = finite(trade.priceUsd) ?? finite(trade.price)
  if (price === null || typeof trade.timestamp !== 'number') return
  const time = Math.floor(trade.timestamp / 60) * 60
  const last = state.candles.at(-1)
  if (last && last.time === time) {
    last.high = Math.max(last.high, price)
    last.low = Math.min(last.low, price)
    last.close = price
    last.volume += finite(trade.valueUsd) ?? 0
  } else if (!last || time > last.time) {
    const open = last ? last.close : price
    state.candles.push({ time, open, high: Math.max(open, price), low: Math.min(open, price), close: price, volume: finite(trade.valueUsd) ?? 0 })
    if (state.candles.length > MAX_CANDLES) state.candles.shift()
  }
  touch('chart')
}

// ---------------------------------------------------------------------------------------------
// Rendering: state → DOM, at most once per animation frame, text only (no innerHTML anywhere)

function touch(...parts) {
  parts.forEach((p) => dirty.add(p))
  if (!frame) frame = requestAnimationFrame(render)
}

function render() {
  frame = 0
  const parts = [...dirty]
  dirty.clear()
  for (const part of parts) renderers[part]()
}

const renderers = {
  status: renderStatus,
  health: renderHealth,
  tokens: () => reconcile($('tokens'), state.launches, (t) => t.address, launchRow),
  trades: renderTrades,
  prices: renderPrices,
  alerts: () => reconcile($('alerts'), state.alerts, (a) => a.id, alertItem),
  chart: renderChart,
  clock: renderClock,
  tier: renderTier,
}

/** Keyed list update: reuses the node of each key, creates the new ones, removes the rest, keeps order. */
const keyed = new WeakMap()
function reconcile(parent, items, keyOf, create, update) {
  const before = keyed.get(parent) ?? new Map()
  const after = new Map()
  let cursor = parent.firstChild
  for (const item of items) {
    const key = keyOf(item)
    const node = before.get(key) ?? create(item)
    if (update) update(node, item)
    after.set(key, node)
    if (node === cursor) cursor = cursor.nextSibling
    else parent.insertBefore(node, cursor)
  }
  for (const [key, node] of before) if (!after.has(key)) node.remove()
  keyed.set(parent, after)
}

function el(tag, className, text) {
  const node = document.createElement(tag)
  if (className) node.className = className
  if (text !== undefined && text !== null) node.textContent = String(text)
  return node
}

function row(cells, className) {
  const tr = el('tr', className)
  tr.append(...cells)
  return tr
}

function addressButton(address) {
  const button = el('button', 'addr', shortAddress(address))
  button.type = 'button'
  button.title = `${address} — show its chart`
  button.addEventListener('click', () => select(address, true))
  return button
}

function launchRow(t) {
  const token = el('td')
  token.append(el('span', 'sym', t.symbol ?? '?'), el('span', 'name', t.name ?? ''))
  token.title = `${t.name ?? '?'} (${t.symbol ?? '?'})`
  const age = el('td', 'mono', formatAge(t.timestamp))
  age.dataset.since = String(t.timestamp)
  const link = el('td')
  link.append(addressButton(t.address))
  return row([token, age, el('td', 'num', `${formatAmount(t.initialLiquidity)} CORE`), link], 'fresh')
}

function renderTrades() {
  reconcile($('trades'), state.trades, (t) => t.key, tradeRow)
  $('trades-count').textContent = state.trades.length > 0 ? `last ${state.trades.length}` : ''
}

function tradeRow(t) {
  const side = t.type === 'buy' || t.type === 'sell' ? t.type : '?'
  const tr = row([
    el('td', 'mono', formatTime(t.timestamp)),
    el('td', 'sym', t.tokenSymbol ?? symbolOf(t.tokenAddress)),
    el('td', `side ${side}`, side),
    el('td', 'num', formatAmount(t.amountToken)),
    el('td', 'num', formatAmount(t.amountCore)),
    el('td', 'num', finite(t.priceUsd) !== null ? formatUsdPrice(t.priceUsd) : `${formatPrice(t.price)} CORE`),
    el('td', 'num', formatUsd(t.valueUsd)),
    el('td', 'mono', shortAddress(t.trader)),
    el('td', 'muted', t.dex),
  ], 'fresh')
  tr.dataset.tx = String(t.txHash)
  tr.dataset.side = side
  tr.dataset.token = t.tokenAddress
  tr.title = String(t.txHash)
  return tr
}

function renderPrices() {
  const rows = [...state.rows.values()].sort((a, b) => (b.volume ?? b.sessionVolume) - (a.volume ?? a.sessionVolume) || b.activeAt - a.activeAt)
  reconcile($('prices'), rows, (r) => r.address, priceRow, updatePriceRow)
  const top = rows.slice(0, 3).map((r) => r.address)
  if (!state.pinned && top.length > 0 && !top.includes(state.selected)) select(top[0])
}

function priceRow(r) {
  const tr = row([el('td'), el('td', 'num price'), el('td', 'num'), el('td', 'num'), el('td', 'num'), el('td')])
  tr.dataset.token = r.address
  tr.addEventListener('click', () => select(r.address, true))
  return tr
}

function updatePriceRow(tr, r) {
  const [token, price, change, volume, liquidity, trend] = tr.children
  const symbol = symbolOf(r.address)
  if (token.firstChild?.textContent !== symbol) {
    // Symbols are not unique (copycat launches are common): the address tail tells them apart.
    token.replaceChildren(el('span', 'sym', symbol), el('span', 'tail', `…${r.address.slice(-4)}`))
    token.title = r.address
  }
  price.textContent = r.price === null ? '—' : r.usd ? formatUsdPrice(r.price) : `${formatPrice(r.price)} CORE`
  change.textContent = r.change === null ? '—' : `${r.change > 0 ? '+' : ''}${r.change.toFixed(2)}%`
  change.className = `num ${r.change > 0 ? 'up' : r.change < 0 ? 'down' : ''}`
  volume.textContent = r.volume !== null ? formatUsd(r.volume) : r.sessionVolume > 0 ? formatUsd(r.sessionVolume) : '—'
  volume.className = `num ${r.volume === null ? 'approx' : ''}`
  volume.title = r.volume === null ? 'traded since this page opened' : 'last 24 h'
  liquidity.textContent = formatUsd(r.liquidity)
  tr.classList.toggle('selected', r.address === state.selected)
  if (trend.dataset.points !== r.history.join()) {
    trend.dataset.points = r.history.join()
    trend.replaceChildren(sparkline(r.history))
  }
}

function sparkline(points, width = 64, height = 20) {
  const svg = document.createElementNS(SVG, 'svg')
  svg.setAttribute('class', 'spark')
  svg.setAttribute('width', String(width))
  svg.setAttribute('height', String(height))
  if (points.length < 2) return svg
  const min = Math.min(...points)
  const span = Math.max(...points) - min || 1
  const line = document.createElementNS(SVG, 'polyline')
  line.setAttribute('points', points.map((p, i) => `${((i / (points.length - 1)) * (width - 2) + 1).toFixed(1)},${(height - 2 - ((p - min) / span) * (height - 4)).toFixed(1)}`).join(' '))
  line.setAttribute('stroke', points.at(-1) >= points[0] ? 'var(--up)' : 'var(--down)')
  svg.append(line)
  return svg
}

function alertItem(a) {
  const severity = ['info', 'warning', 'critical'].includes(a.severity) ? a.severity : 'info'
  const li = el('li', severity)
  li.append(el('span', 'sev', severity), el('span', 'title', a.title ?? a.type), el('span', 'when', formatTime(a.timestamp)), el('span', 'msg', a.message ?? ''))
  li.title = String(a.message ?? '')
  li.dataset.severity = severity
  li.dataset.type = String(a.type)
  return li
}

function renderChart() {
  const box = $('chart')
  $('chart-token').textContent = state.selected ? `${symbolOf(state.selected)} …${state.selected.slice(-4)} · 1 min` : 'select a token'
  box.replaceChildren(candleChart(state.candles, box.clientWidth || 600, box.clientHeight || 200))
}

function candleChart(candles, width, height) {
  const svg = svgNode('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img' })
  if (candles.length === 0) {
    svg.append(svgNode('text', { x: width / 2, y: height / 2, 'text-anchor': 'middle', class: 'empty' }, state.selected ? 'waiting for trades…' : 'click a token to chart it'))
    return svg
  }
  const pad = { left: 6, right: 70, top: 10, bottom: 18 }
  const low = Math.min(...candles.map((c) => c.low))
  const high = Math.max(...candles.map((c) => c.high))
  const span = high - low || Math.abs(high) * 0.01 || 1
  const y = (v) => pad.top + (1 - (v - low) / span) * (height - pad.top - pad.bottom)
  const step = (width - pad.left - pad.right) / Math.max(candles.length, 20)
  for (const v of [high, (high + low) / 2, low]) {
    svg.append(svgNode('line', { x1: pad.left, x2: width - pad.right, y1: y(v), y2: y(v), class: 'grid-line' }))
    svg.append(svgNode('text', { x: width - pad.right + 6, y: y(v) + 3 }, formatUsdPrice(v)))
  }
  candles.forEach((c, i) => {
    const x = pad.left + i * step + step / 2
    const color = c.close >= c.open ? 'var(--up)' : 'var(--down)'
    svg.append(svgNode('line', { x1: x, x2: x, y1: y(c.high), y2: y(c.low), stroke: color }))
    const top = y(Math.max(c.open, c.close))
    svg.append(svgNode('rect', { x: x - step * 0.35, y: top, width: Math.max(step * 0.7, 1), height: Math.max(y(Math.min(c.open, c.close)) - top, 1), fill: color }))
  })
  svg.append(svgNode('text', { x: pad.left, y: height - 4 }, formatTime(candles[0].time)))
  const lastX = pad.left + (candles.length - 1) * step + step / 2
  if (lastX - pad.left > 90) svg.append(svgNode('text', { x: lastX, y: height - 4, 'text-anchor': 'middle' }, formatTime(candles.at(-1).time)))
  return svg
}

function svgNode(tag, attributes, text) {
  const node = document.createElementNS(SVG, tag)
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, typeof value === 'number' ? value.toFixed(1) : value)
  if (text !== undefined) node.textContent = text
  return node
}

function setStatus(status) {
  state.status = status
  touch('status')
}

/** The connection's tier as the server states it (`connected`, `authenticated`); undefined: no JWT on the server. */
function setTier(tier, expiresAt) {
  state.tier = tier === 'free' || tier === 'premium' ? tier : undefined
  state.expiresAt = state.tier === 'premium' ? finite(expiresAt) : null
  if (state.tier === 'free' && state.token !== null && !state.authByMessage) state.tokenProblem = 'token not premium'
  if (state.tier === 'premium') state.tokenProblem = ''
  touch('tier')
}

function setAlertTypes(params) {
  const types = params && Array.isArray(params.types) ? params.types.filter((t) => typeof t === 'string') : null
  state.alertTypes = types
  touch('tier')
}

/** Header: the tier and until when; under it, what the free tier leaves out. The alerts panel: the types received. */
function renderTier() {
  const box = $('tier-box')
  box.hidden = state.tier === undefined
  $('tier').dataset.tier = state.tier ?? ''
  $('tier').textContent = state.tier === 'premium' && state.expiresAt !== null ? `premium · until ${formatTime(state.expiresAt)}` : (state.tier ?? '')
  const free = state.tier === 'free'
  $('tier-notice').textContent = free ? `${state.tokenProblem ? `${state.tokenProblem} — ` : ''}${FREE_TIER}` : ''
  $('tier-notice').hidden = !free
  const types = state.alertTypes
  $('alert-types').textContent = !types || types.includes('*') ? '' : types.length > 0 ? types.join(' · ') : 'none'
}

function renderStatus() {
  const node = $('status')
  node.dataset.state = state.status
  const wait = Math.max(0, Math.ceil((state.retryAt - Date.now()) / 1000))
  const text = { connected: 'connected', subscribing: 'subscribing…', connecting: 'connecting…' }
  node.textContent = state.status === 'reconnecting' ? `reconnecting${wait > 0 ? ` in ${wait}s` : ''}…` : text[state.status]
}

function renderHealth() {
  const node = $('health')
  const h = state.health
  node.classList.toggle('bad', !h || h.status !== 'ok')
  if (!h) return void (node.textContent = state.healthError ?? '…')
  const chain = h.chain && typeof h.chain === 'object' ? h.chain : null
  const parts = [String(h.status), `up ${formatDuration(h.uptime)}`, `${h.connections} client${h.connections === 1 ? '' : 's'}`]
  if (chain) parts.push(`${chain.network ?? 'chain'} block ${chain.processed ?? chain.head ?? '?'}`)
  if (chain && finite(chain.coreUsd) !== null) parts.push(`CORE ${formatUsdPrice(chain.coreUsd)}`)
  node.textContent = parts.join(' · ')
}

function renderClock() {
  $('rate').textContent = String(state.rate)
  for (const cell of document.querySelectorAll('[data-since]')) cell.textContent = formatAge(Number(cell.dataset.since))
  if (state.status === 'reconnecting') renderStatus()
}

function setNotice(text) {
  state.notice = text
  $('notice').textContent = text
  $('notice').title = text
}

function markGap(reason) {
  setNotice(`${reason}: messages sent while disconnected may be missing`)
}

// ---------------------------------------------------------------------------------------------
// Health, message rate, silence detection

async function readHealth() {
  try {
    const res = await fetch('health', { cache: 'no-store', signal: AbortSignal.timeout(4000) })
    state.health = res.ok ? await res.json() : null
    state.healthError = res.ok ? null : `HTTP ${res.status}`
  } catch {
    state.health = null
    state.healthError = 'unreachable'
  }
  touch('health')
  return state.health
}

let counted = 0
function everySecond() {
  state.rate = state.received - counted
  counted = state.received
  touch('clock')
  const ws = state.ws
  if (!ws || ws.readyState !== WebSocket.OPEN) return
  const silent = Date.now() - state.lastMessageAt
  if (silent > SILENCE_DROP_MS) drop(ws)
  else if (silent > SILENCE_PING_MS) send({ type: 'ping' })
}

// ---------------------------------------------------------------------------------------------
// Formatting

function finite(value) {
  const n = typeof value === 'string' ? Number(value) : value
  return typeof n === 'number' && Number.isFinite(n) ? n : null
}

const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 2 })
const significant = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 4 })

function formatAmount(value) {
  const n = finite(value)
  if (n === null) return '—'
  return n >= 10000 ? compact.format(n) : significant.format(n)
}

/** Meme prices are tiny: 0.0000000004383 is written 0.0₉4383 (nine zeros, then the digits). */
function formatPrice(value) {
  const n = finite(value)
  if (n === null) return '—'
  if (n >= 1000) return compact.format(n)
  if (n <= 0 || n >= 0.001) return significant.format(n)
  let zeros = -Math.floor(Math.log10(n)) - 1
  let digits = Math.round(n * 10 ** (zeros + 4))
  if (digits >= 10000) [zeros, digits] = [zeros - 1, 1000]
  const subscript = [...String(zeros)].map((d) => String.fromCharCode(0x2080 + Number(d))).join('')
  return `0.0${subscript}${String(digits).replace(/0+$/, '')}`
}

function formatUsdPrice(value) {
  const n = finite(value)
  return n === null ? '—' : `$${formatPrice(n)}`
}

function formatUsd(value) {
  const n = finite(value)
  if (n === null) return '—'
  return n >= 10000 ? `$${compact.format(n)}` : `$${n.toFixed(2)}`
}

function formatTime(seconds) {
  const n = finite(seconds)
  return n === null ? '—' : new Date(n * 1000).toTimeString().slice(0, 8)
}

/** One unit is enough for an age: 7s, 4m, 2h, 3d. */
function formatAge(seconds) {
  const n = finite(seconds)
  if (n === null) return '—'
  const age = Math.max(0, Math.floor(Date.now() / 1000 - n))
  return age < 60 ? `${age}s` : age < 3600 ? `${Math.floor(age / 60)}m` : age < 86400 ? `${Math.floor(age / 3600)}h` : `${Math.floor(age / 86400)}d`
}

function formatDuration(seconds) {
  const s = Math.floor(finite(seconds) ?? 0)
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`
}

function shortAddress(address) {
  return typeof address === 'string' && address.length > 12 ? `${address.slice(0, 6)}…${address.slice(-4)}` : String(address ?? '?')
}

// ---------------------------------------------------------------------------------------------

connect()
readHealth()
setInterval(everySecond, 1000)
setInterval(readHealth, 5000)
touch('status', 'chart')
window.addEventListener('resize', () => touch('chart'))
