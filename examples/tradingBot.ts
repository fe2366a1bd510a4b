/**
 * A trading-bot skeleton on the typed client: follows every new launch, then that token's trades,
 * and prints the whales among them. It survives restarts and rolling deploys of the server: the
 * client reconnects and resumes each stream where it stopped, and says so when it could not.
 *
 *   npm start                                        # the server, with its embedded devnet
 *   npx tsx examples/tradingBot.ts                   # ws://localhost:3003
 *   npx tsx examples/tradingBot.ts ws://host:3003    # another server (TOKEN=<jwt> for premium)
 *
 * Ctrl-C (SIGINT) or SIGTERM closes the connection and exits with 0.
 */
import WebSocket from 'ws'
import { connect, type ChannelEvent, type Subscription, type TokenItem, type TradeItem } from 'core-meme-websocket/client'

const url = process.argv[2] ?? 'ws://localhost:3003'
// Node 20 has no global WebSocket: use the `ws` package (browsers and Node ≥ 22 need no option).
const client = connect(url, { WebSocket, ...(process.env['TOKEN'] ? { token: process.env['TOKEN'] } : {}) })
const followed = new Map<string, TokenItem>()
let trades: Subscription<'trades'> | null = null
const say = (line: string) => console.log(`${new Date().toISOString().slice(11, 19)} ${line}`)
const usd = (value: number | null | undefined) => (value === null || value === undefined ? '' : ` ($${value.toFixed(2)})`)

client.on('state', (state) => say(`[${state}] ${url}`))

client.subscribe('tokens', {}, (event) => {
  if (event.type === 'subscribed') say('following launches')
  if (event.type !== 'data') return
  for (const token of event.items) {
    followed.set(token.address, token)
    say(`launch ${token.symbol ?? '?'} ${token.address} by ${token.creator}, ${token.initialLiquidity} CORE of liquidity`)
    if (trades) trades.add({ tokens: [token.address] })
    else trades = client.subscribe('trades', { tokens: [token.address] }, onTrades)
  }
})

function onTrades(event: ChannelEvent<'trades'>): void {
  if (event.type === 'subscribed') say(`watching trades of ${event.params.tokens.length} token(s)`)
  if (event.type === 'data') for (const t of event.items) say(describe(t))
  if (event.type === 'reorg') say(`reorg: ${event.txHashes.length} trade(s) of blocks ${event.fromBlock}-${event.toBlock} retracted`)
  if (event.type === 'gap') say(`gap in trades (${event.reason}): some were missed`)
}

client.subscribe('alerts', { types: ['whale'] }, (event) => {
  if (event.type !== 'data') return
  for (const alert of event.items) if (followed.has(alert.tokenAddress)) say(`WHALE ${alert.tokenSymbol ?? '?'}: ${alert.message}`)
})

function describe(t: TradeItem): string {
  return `${t.type} ${t.tokenSymbol ?? '?'} ${t.amountCore} CORE${usd(t.valueUsd)} by ${t.trader} in ${t.txHash}`
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    client.on('state', (state) => state === 'closed' && process.exit(0))
    client.close()
  })
}
