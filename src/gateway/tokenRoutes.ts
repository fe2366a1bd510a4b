import type { ServerResponse } from 'node:http'
import { checksum, isHexAddress } from '../protocol/address.js'
import { ErrorCode } from '../protocol/errors.js'
import type { HolderRow, PriceItem, TokenItem, TradeItem } from '../protocol/items.js'
import { candleSeconds, type CandleInterval, type StateStore } from '../state/stateStore.js'
import { sendHttpError, sendJsonResponse, type Route } from './http.js'

const MAX_TRADES = 200
/** Holders kept per token in the read model (and the most `holders?limit=` returns). */
export const MAX_HOLDERS = 100

/**
 * The read-only HTTP API over the state store: `GET /tokens`, `/tokens/:address` (with its `risk`),
 * `/tokens/:address/trades?limit=`, `/tokens/:address/candles?interval=1m|5m|1h`,
 * `/tokens/:address/holders?limit=`.
 *
 * @example
 * createGateway({ …, routes: tokenRoutes(state, 50) })
 */
export function tokenRoutes(state: StateStore, recentLimit: number): Record<string, Route> {
  const list: Route = async (_req, res, url) => {
    const limit = boundedInt(url.searchParams.get('limit'), recentLimit, recentLimit)
    if (limit === null) return badRequest(res, `limit must be an integer 1-${recentLimit}`)
    const tokens = parsed<TokenItem>((await state.recentTokens(limit)).items)
    const prices = new Map(parsed<PriceItem>((await state.prices(tokens.map((t) => t.address))).items).map((p) => [p.tokenAddress, p]))
    sendJsonResponse(res, 200, { tokens: tokens.map((t) => ({ ...t, stats: prices.get(t.address) ?? null })) })
  }
  const one: Route = async (_req, res, url) => {
    const [raw, sub, ...rest] = url.pathname.split('/').slice(2)
    if (!raw || rest.length > 0 || (sub !== undefined && sub !== 'trades' && sub !== 'candles' && sub !== 'holders')) return notFound(res, url.pathname)
    if (!isHexAddress(raw)) return sendHttpError(res, 400, ErrorCode.invalidAddress, `${JSON.stringify(raw.slice(0, 64))} is not a 20-byte hex address`)
    const address = checksum(raw)
    const [launch, prices, risk] = await Promise.all([state.launch(address), state.prices([address]), state.risk([address])])
    const stats = prices.items[0]
    if (!launch && !stats) return sendHttpError(res, 404, ErrorCode.notFound, `unknown token ${address}`)
    if (sub === undefined) return sendJsonResponse(res, 200, { address, launch: launch && JSON.parse(launch), stats: stats ? JSON.parse(stats) : null, risk: risk.items[0] ? JSON.parse(risk.items[0]) : null })
    if (sub === 'trades') return sendTrades(state, res, address, url)
    if (sub === 'holders') return sendHolders(state, res, address, url)
    return sendCandles(state, res, address, url)
  }
  return { '/tokens': list, '/tokens/*': one }
}

async function sendTrades(state: StateStore, res: ServerResponse, address: string, url: URL): Promise<void> {
  const limit = boundedInt(url.searchParams.get('limit'), 50, MAX_TRADES)
  if (limit === null) return badRequest(res, `limit must be an integer 1-${MAX_TRADES}`)
  sendJsonResponse(res, 200, { address, trades: parsed<TradeItem>(await state.trades(address, limit)) })
}

async function sendHolders(state: StateStore, res: ServerResponse, address: string, url: URL): Promise<void> {
  const limit = boundedInt(url.searchParams.get('limit'), 20, MAX_HOLDERS)
  if (limit === null) return badRequest(res, `limit must be an integer 1-${MAX_HOLDERS}`)
  const holders = await state.holders(address)
  if (holders === null) return sendHttpError(res, 404, ErrorCode.notFound, `no holders known for ${address} (not a tracked launch)`)
  sendJsonResponse(res, 200, { address, holders: (JSON.parse(holders) as HolderRow[]).slice(0, limit) })
}

async function sendCandles(state: StateStore, res: ServerResponse, address: string, url: URL): Promise<void> {
  const interval = url.searchParams.get('interval') ?? '1m'
  if (!(interval in candleSeconds)) return badRequest(res, 'interval must be 1m, 5m or 1h')
  sendJsonResponse(res, 200, { address, interval, candles: (await state.candles(address, interval as CandleInterval)) ?? [] })
}

function parsed<T>(texts: readonly string[]): T[] {
  return texts.map((text) => JSON.parse(text) as T)
}

function boundedInt(value: string | null, fallback: number, max: number): number | null {
  if (value === null) return fallback
  return /^\d+$/.test(value) && Number(value) >= 1 && Number(value) <= max ? Number(value) : null
}

function badRequest(res: ServerResponse, message: string): void {
  sendHttpError(res, 400, ErrorCode.invalidParams, message)
}

function notFound(res: ServerResponse, path: string): void {
  sendHttpError(res, 404, ErrorCode.notFound, `no route for ${path}`)
}
