/*
 * Core Meme live dashboard, with no framework and no build step. It runs on the server's typed client
 * (`/client/index.js`, the browser build of `src/client/`), which connects, reconnects with backoff,
 * resumes each channel where it was (`since`), handles epochs and `resumed: false`, pings a silent
 * connection and parses every frame. The page only tells the client what to follow and shows the
 * events it gets. Read it as an example of how to:
 *  - subscribe to `tokens` (with recent launches), `trades`, `alerts` and `prices` (for the tokens shown),
 *    adding and removing tokens on a live subscription (`subscription.add`, `client.unsubscribe`),
 *  - keep the newest trades, launches and alerts with reorg retractions applied (`recentItems`),
 *  - tell a `gap` (what a reconnect could not resume) and show "reconnecting in Ns" (`disconnected`),
 *  - present a JWT given as `?token=` in the page URL, and work in the free tier when the server has JWT on,
 *  - render at most once per animation frame, with capped lists, and never parse server text as HTML.
 */
/* global window, document, location, fetch, requestAnimationFrame, setTimeout, setInterval, AbortSignal, URL, URLSearchParams */
import { connect, recentItems, RequestError } from './client/index.js'

const MAX_TRADES = 100
const MAX_LAUNCHES = 30
const MAX_ALERTS = 50
const MAX_PRICE_ROWS = 24
const SPARK_POINTS = 40
const MAX_CANDLES = 60
/** At most one batch of token (un)subscribes per this delay: the server allows ~100 messages a minute. */
const WATCH_DELAY_MS = 3000
const SVG = 'http://www.w3.org/2000/svg'
const ADDRESS = /^0x[0-9a-fA-F]{40}$/
const FREE_TIER = 'free tier: all trades and whale/rug alerts need a premium token (showing the trades of the listed tokens, and price and volume alerts)'

const state = {
  /** connecting, subscribing (connected, subscriptions not all answered yet), connected, reconnecting, closed. */
  status: 'connecting',
  /** The channels whose subscribe the current connection still waits for before it is `connected`. */
  awaiting: new Set(),
  /** When the next connection attempt starts (ms), and what closed the last one. */
  retryAt: 0,
  lastClose: null,
  health: null,
  healthError: null,
  /** Channel messages (`data`) received, and per second. */
  received: 0,
  rate: 0,
  notice: '',
  /** address → { address, symbol, name }: every token seen (launch or trade). */
  tokens: new Map(),
  /** address → price row: the tokens shown in the prices table. */
  rows: new Map(),
  /** The tokens followed on `prices` (and on `trades` when 'listed'); the diff with `rows` is sent in batches. */
  watched: new Set(),
  /**
   * How trades are followed: 'all' (`tokens: ["*"]`), or 'listed' (the watched tokens: `"*"` needs a
   * premium token when the server has JWT on); null until the first `connected` tells the tier.
   */
  tradesMode: null,
  /**
   * The JWT of the page URL's `?token=`, put on the WebSocket upgrade URL (never shown, never logged).
   * Dropped when it expires or the server refuses it: the page then carries on as free.
   */
  token: tokenOfPage(),
  /**
   * A connection with the token on its URL closed before `connected`: maybe an HTTP 401 (a browser
   * cannot tell). Later ones connect without it, and the client presents it in an `auth` message,
   * whose answer says whether it is valid; the token goes back on the URL once it is accepted.
   */
  byMessage: false,
  /** The tier of the connection (`connected`, `authenticated`): free or premium; undefined when the server has no JWT. */
  tier: undefined,
  /** When the premium token expires (Unix seconds), or null. */
  expiresAt: null,
  /** Why the page is free although it had a token: '' (none given), or what happened to it. */
  tokenProblem: '',
  /** The alert types the server gave our `alerts` subscription (`["*"]`: all of them). */
  alertTypes: null,
  /** token → its launch-risk figures (from its launch item, then the `risk` channel). */
  risk: new Map(),
  /** Tokens whose `risk` the page follows: the launches listed. */
  riskWatched: new Set(),
  selected: null,
  /** The user picked the charted token; until then the chart follows the most traded token. */
  pinned: false,
  candles: [],
}

/** The newest launches, trades and alerts, with what a reorg retracted dropped (the client's `recentItems`). */
const launches = recentItems('tokens', MAX_LAUNCHES)
const trades = recentItems('trades', MAX_TRADES)
const alerts = recentItems('alerts', MAX_ALERTS)
/** A trade's key, as `recentItems` tells trades apart. */
const tradeKey = (t) => `${t.txHash}:${t.logIndex ?? ''}`

const $ = (id) => document.getElementById(id)
const dirty = new Set()
let frame = 0
let watchTimer = 0
let lastWatchAt = 0

// ---------------------------------------------------------------------------------------------
// Connection: the typed client does it; the page picks the upgrade URL and follows the events

/** `?token=` of the page URL, or null. */
function tokenOfPage() {
  const token = new URLSearchParams(location.search).get('token')
  return token && token.length <= 8192 ? token : null
}

/** The page's origin and path as ws(s)://, with the token as `?token=` unless it is presented by message (or was dropped). */
function wsUrl() {
  const url = new URL('.', location.href)
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
  if (state.token !== null && !state.byMessage) url.searchParams.set('token', state.token)
  return url.href
}

/** The client asks for the URL on every connection attempt. */
const client = connect(wsUrl)

/** channel → the page's one subscription to it: tokens are added to it, or removed with `client.unsubscribe`. */
const subscriptions = {}

/** Subscribes `channel`, or adds `params` to its subscription (the client sends it now, or on connect). */
function follow(channel, params) {
  if (subscriptions[channel]) subscriptions[channel].add(params)
  else subscriptions[channel] = client.subscribe(channel, params, onEvent)
}

client.on('state', (next) => {
  // `connected` shows as "subscribing" until the subscriptions are answered (see `answered`).
  if (next !== 'connected') setStatus(next)
})

client.on('connected', (message) => {
  // Presented by message, the token's tier comes with `authenticated` (or its refusal as an `error`).
  if (!state.byMessage) setTier(message.tier, message.expiresAt)
  // The first connection tells the tier: trades "*", or (free) those of the listed tokens. The client
  // sends these subscribes with the others, after the token; later ones resume them by themselves.
  if (state.tradesMode === null) {
    if (state.tier === 'free') followListedTrades()
    else followAllTrades()
  }
  state.awaiting = new Set(Object.keys(subscriptions))
  setStatus('subscribing')
})

client.on('authenticated', ({ tier, expiresAt }) => {
  // The token is valid: later connections carry it on their URL again (their `connected` states the tier).
  state.byMessage = false
  setTier(tier, expiresAt)
})

client.on('disconnected', ({ code, retryInMs, attempt, wasConnected }) => {
  state.retryAt = Date.now() + retryInMs
  state.lastClose = { code, attempt }
  if (!wasConnected && state.token !== null && !state.byMessage) presentByMessage()
  touch('status')
})

client.on('error', (err) => {
  if (!(err instanceof RequestError)) return // a frame the client could not parse: it carries on
  // The premium token expired on this connection: the server made it free and removes "*" (notices follow).
  if (err.code === 'token_expired') return dropToken('premium token expired', 'the premium token expired: continuing as free')
  if (err.code === 'unauthorized' || err.code === 'auth_disabled') return onTokenRefused(err)
  setNotice(`server error ${err.code}: ${err.message}`)
})

/**
 * The connection with the token on its URL closed before `connected`: refused on the upgrade (a 401
 * for a bad or expired token), or the server is unreachable. From now on the token is presented in an
 * `auth` message, whose answer tells which.
 */
function presentByMessage() {
  state.byMessage = true
  // Not connected now: this rejects, and the client keeps the token to present after each (re)connect.
  client.auth(state.token).catch(() => {})
  // Hoping for premium: trades "*" (refused with premium_required if the token is not).
  if (state.tradesMode === null) followAllTrades()
}

/** A subscribe of the current connection was answered: it is `connected` once every one is. */
function answered(channel) {
  if (state.awaiting.delete(channel) && state.awaiting.size === 0) setStatus('connected')
}

/** The token presented by message was refused: the client no longer presents it. */
function onTokenRefused(err) {
  if (err.code === 'auth_disabled') {
    // No JWT on this server: every feature is open, the token is not needed.
    state.token = null
    state.byMessage = false
    setTier(undefined, null)
  } else {
    // The token is invalid or expired: carry on as free (trades "*" is refused next: the page falls back).
    dropToken(`token refused (${err.message.slice(0, 200)})`, 'the token was refused: continuing as free')
  }
}

/** The token is gone (refused, or expired): the page carries on as free, saying why. */
function dropToken(problem, notice) {
  void client.auth(null) // later connections present none
  state.token = null
  state.byMessage = false
  state.tokenProblem = problem
  setNotice(notice)
  setTier('free', null)
}

function followAllTrades() {
  state.tradesMode = 'all'
  follow('trades', { tokens: ['*'] })
}

/**
 * Free tier: no trades "*" (refused, or dropped by the server when the token expired); follow the
 * trades of the watched tokens instead. Adding them to the subscription the server dropped resumes it
 * from the last trade seen (the client sends `since`: replayed, none missed).
 */
function followListedTrades() {
  state.tradesMode = 'listed'
  // "*" is not on the server (refused or dropped): this only takes it out of the client's params.
  void client.unsubscribe('trades', { tokens: ['*'] })
  if (state.watched.size > 0) follow('trades', { tokens: [...state.watched] })
  else if (subscriptions.trades) {
    // Nothing to follow yet (the server refuses an empty list): `syncWatched` subscribes again.
    subscriptions.trades.unsubscribe()
    delete subscriptions.trades
  }
}

// ---------------------------------------------------------------------------------------------
// Channel events → state

/** Every channel's events, in order: the client has made them exactly-once across reconnects. */
function onEvent(event) {
  const { channel } = event
  switch (event.type) {
    case 'subscribed':
      if (channel === 'alerts') setAlertTypes(event.params)
      return answered(channel)
    case 'error':
      answered(channel)
      return onRefused(event)
    case 'data':
      state.received++
      return onData[channel](event)
    case 'reorg':
      return onReorg(event)
    case 'gap':
      return onGap(event)
    case 'unsubscribed':
      return onUnsubscribedByServer(event)
  }
}

function onRefused({ channel, code, message }) {
  if (channel === 'trades' && code === 'premium_required') {
    // Only a free connection on a server with JWT gets it (also one that does not state the tier in `connected`).
    if (state.tier === undefined) setTier('free', null)
    if (state.tradesMode !== 'listed') return followListedTrades()
  }
  setNotice(`server error ${code}: ${message}`)
}

/**
 * The client could not keep a channel's stream whole: a new epoch (the server or its bus restarted),
 * history that no longer reached back (`not_resumed`), or the server renumbered it. Prices and recent
 * launches get a fresh snapshot; trades and alerts from the hole are gone.
 */
function onGap({ channel, reason }) {
  if (reason === 'epoch') markGap('the stream was renumbered (server or bus restarted)')
  else if (channel === 'trades' || channel === 'alerts') markGap(reason === 'renumbered' ? `the ${channel} stream was renumbered` : `some ${channel} were missed`)
}

/**
 * Unasked: the server took premium features off our subscriptions (the token expired, or a free token
 * replaced it). `params` is what is left; null: the channel is gone.
 */
function onUnsubscribedByServer({ channel, params }) {
  if (channel === 'trades') followListedTrades()
  else if (channel === 'alerts') setAlertTypes(params ?? { types: [] })
  else if (channel === 'prices') {
    // Adding the tokens again (see `syncWatched`) resumes it.
    state.watched = new Set(params?.tokens ?? [])
    scheduleWatch()
  }
}

const onData = {
  tokens(event) {
    launches.apply(event)
    for (const item of event.items) {
      remember(item.address, item.symbol, item.name)
      show(item.address, (item.timestamp ?? 0) * 1000)
      if (item.risk && !state.risk.has(item.address)) state.risk.set(item.address, item.risk)
    }
    scheduleWatch()
    touch('tokens')
  },
  risk(event) {
    for (const item of event.items) state.risk.set(item.tokenAddress, item)
    touch('tokens', 'chart')
  },
  trades(event) {
    trades.apply(event)
    event.items.forEach(onTrade)
    touch('trades', 'prices')
  },
  prices(event) {
    event.items.forEach(onPrice)
  },
  alerts(event) {
    alerts.apply(event)
    touch('alerts')
  },
}

/** Items a reorg retracted: trades and launches by transaction, alerts by id (or their transaction). */
const kept = { trades, tokens: launches, alerts }

function onReorg(event) {
  const list = kept[event.channel]
  if (!list) return
  const before = list.items().length
  list.apply(event)
  const dropped = before - list.items().length
  const noun = { trades: 'trade', tokens: 'launch', alerts: 'alert' }[event.channel]
  if (dropped > 0 || event.channel === 'trades') setNotice(`reorg of blocks ${event.fromBlock}–${event.toBlock}: ${dropped} ${noun}${dropped === 1 ? '' : noun === 'launch' ? 'es' : 's'} dropped`)
  touch(event.channel)
}

function onTrade(trade) {
  remember(trade.tokenAddress, trade.tokenSymbol)
  const row = show(trade.tokenAddress, Date.now())
  row.sessionVolume += finite(trade.valueUsd) ?? 0
  if (!row.live) setRowPrice(row, finite(trade.priceUsd) ?? finite(trade.price), finite(trade.priceUsd) !== null)
  if (state.selected === trade.tokenAddress) addToCandles(trade)
}

function onPrice(item) {
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

/** Sends the difference between the tokens shown and those watched: soon, but one batch per WATCH_DELAY_MS. */
function scheduleWatch() {
  if (!watchTimer) watchTimer = setTimeout(syncWatched, Math.max(50, lastWatchAt + WATCH_DELAY_MS - Date.now()))
}

/** `prices` (and, free tier, `trades`) follow the tokens shown: the new ones are added, the evicted ones removed. */
function syncWatched() {
  watchTimer = 0
  syncLaunchRisk()
  const added = [...state.rows.keys()].filter((a) => !state.watched.has(a))
  const removed = [...state.watched].filter((a) => !state.rows.has(a))
  if (added.length + removed.length === 0) return
  for (const channel of state.tradesMode === 'listed' ? ['prices', 'trades'] : ['prices']) {
    if (removed.length > 0) void client.unsubscribe(channel, { tokens: removed })
    if (added.length > 0) follow(channel, { tokens: added })
  }
  state.watched = new Set(state.rows.keys())
  lastWatchAt = Date.now()
}

/** `risk` follows the listed launches (batched with the other watch changes): new ones added, gone ones removed. */
function syncLaunchRisk() {
  const listed = new Set(launches.items().map((t) => t.address))
  const added = [...listed].filter((a) => !state.riskWatched.has(a))
  const removed = [...state.riskWatched].filter((a) => !listed.has(a))
  if (removed.length > 0) void client.unsubscribe('risk', { tokens: removed })
  if (added.length > 0) follow('risk', { tokens: added })
  for (const a of removed) state.risk.delete(a)
  state.riskWatched = listed
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
  tokens: () => reconcile($('tokens'), newestLaunches(), (t) => t.address, launchRow, (tr, t) => tr.lastChild.replaceChildren(...riskBadges(state.risk.get(t.address)))),
  trades: renderTrades,
  prices: renderPrices,
  alerts: () => reconcile($('alerts'), alerts.items(), (a) => a.id, alertItem),
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
  return row([token, age, el('td', 'num', `${formatAmount(t.initialLiquidity)} CORE`), link, el('td', 'badges')], 'fresh')
}

/**
 * A launch's risk as a compact badge row: honeypot, LP, creator's share, snipers, taxes. `?` for what
 * is not known yet; the class says how worrying it is (ok, warn, bad).
 */
function riskBadges(r) {
  if (!r) return [el('span', 'badge', 'risk ?')]
  const pct = (v) => (v === null || v === undefined ? '?' : `${Number(v.toFixed(v < 10 ? 1 : 0))}%`)
  const level = (v, warn, bad) => (v === null || v === undefined ? '' : v >= bad ? 'bad' : v >= warn ? 'warn' : 'ok')
  const badge = (text, cls, title) => {
    const b = el('span', `badge ${cls}`.trim(), text)
    b.title = title
    return b
  }
  const lp = r.lp
  const tax = Math.max(r.buyTaxPercent ?? 0, r.sellTaxPercent ?? 0)
  return [
    badge(r.honeypot === true ? 'HONEYPOT' : r.honeypot === false ? 'sells ok' : 'sell ?', r.honeypot === true ? 'bad' : r.honeypot === false ? 'ok' : '', 'a simulated sell to the pair'),
    badge(lp ? `LP 🔥${pct(lp.burnedPercent)}` : 'LP ?', lp ? (lp.burnedPercent >= 95 ? 'ok' : lp.creatorPercent >= 50 ? 'bad' : 'warn') : '', lp ? `LP burned ${pct(lp.burnedPercent)}, creator ${pct(lp.creatorPercent)}, others ${pct(lp.othersPercent)}` : 'LP unknown'),
    badge(`dev ${pct(r.devHeldPercent)}`, level(r.devHeldPercent, 10, 30), "the creator's share of the supply"),
    badge(`snipers ${r.snipers ? r.snipers.count : '?'} · ${pct(r.snipers?.heldPercent)}`, level(r.snipers?.heldPercent, 10, 25), 'wallets that bought in the first blocks, and their share now'),
    badge(`tax ${pct(r.buyTaxPercent)}/${pct(r.sellTaxPercent)}`, r.buyTaxPercent === null && r.sellTaxPercent === null ? '' : level(tax, 5, 20), 'buy / sell tax measured on real trades'),
    badge(`holders ${r.holders ?? '?'}`, '', `top 10 hold ${pct(r.top10Percent)}; insiders ${r.insiders?.count ?? '?'} (${pct(r.insiders?.heldPercent)}), bundled ${r.bundles?.count ?? '?'} (${pct(r.bundles?.heldPercent)})`),
  ]
}

/** Launches by block, newest first (a re-read snapshot may bring older ones after newer). */
function newestLaunches() {
  return launches.items().toSorted((a, b) => (b.blockNumber ?? 0) - (a.blockNumber ?? 0) || (b.timestamp ?? 0) - (a.timestamp ?? 0))
}

function renderTrades() {
  const list = trades.items()
  reconcile($('trades'), list, tradeKey, tradeRow)
  $('trades-count').textContent = list.length > 0 ? `last ${list.length}` : ''
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
  $('chart-risk').replaceChildren(...(state.selected && state.risk.has(state.selected) ? riskBadges(state.risk.get(state.selected)) : []))
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
  if (state.tier === 'free' && state.token !== null && !state.byMessage) state.tokenProblem = 'token not premium'
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
  const text = { connected: 'connected', subscribing: 'subscribing…', connecting: 'connecting…', closed: 'closed' }
  node.textContent = state.status === 'reconnecting' ? `reconnecting${wait > 0 ? ` in ${wait}s` : ''}…` : text[state.status]
  node.title = state.lastClose ? `last connection closed with code ${state.lastClose.code}; attempt ${state.lastClose.attempt}` : ''
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
// Health, message rate

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

// The client sends these once it is connected (and again, resuming, after every reconnect).
follow('tokens', { includeRecent: true })
follow('alerts', { types: ['*'] })
readHealth()
setInterval(everySecond, 1000)
setInterval(readHealth, 5000)
touch('status', 'chart')
window.addEventListener('resize', () => touch('chart'))
