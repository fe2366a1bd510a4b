import type { AlertItem, Channel, ChannelItems, PriceItem, RiskItem, Severity, TokenItem, TradeItem } from './items.js'

/**
 * What a gateway needs to route an item without parsing it: the index keys it is filed under
 * (besides `"*"`, which every item matches), the values the channel filters compare, and the key
 * under which a newer item replaces an older one. The publisher computes it once, beside the
 * item's JSON text; every gateway reads it.
 */
export type Route = {
  /** Index keys: `t:<token>`, `w:<wallet>`, `k:<alert type>`. */
  readonly keys: readonly string[]
  /** Trades and alerts: the USD value the `minValueUsd` filters compare (null: unknown). */
  readonly valueUsd?: number | null
  /** Alerts: the severity `minSeverity` compares. */
  readonly severity?: Severity
  /** Alerts: the token the `tokens` filter compares. */
  readonly token?: string
  /** Prices, risk: only the newest item per this key matters to a client that is behind. */
  readonly replace?: string
  /** Launches: what the `tokens` filters compare (null: unknown, which a threshold filter does not pass). */
  readonly launch?: LaunchFacts
}

/** A launch's figures the `tokens` filters compare. */
export type LaunchFacts = { liquidityUsd: number | null; devHeldPercent: number | null; lpBurnedPercent: number | null; honeypot: boolean | null }

export const WILDCARD = '*'
export const tokenKey = (token: string) => (token === WILDCARD ? WILDCARD : `t:${token}`)
export const walletKey = (wallet: string) => `w:${wallet}`
export const typeKey = (type: string) => (type === WILDCARD ? WILDCARD : `k:${type}`)

const routes: { [C in Channel]: (item: ChannelItems[C]) => Route } = {
  prices: (item: PriceItem) => ({ keys: [tokenKey(item.tokenAddress)], replace: item.tokenAddress }),
  tokens: (item: TokenItem) => ({ keys: [], launch: launchFacts(item) }),
  trades: (item: TradeItem) => ({ keys: [tokenKey(item.tokenAddress), walletKey(item.trader)], valueUsd: item.valueUsd ?? null }),
  alerts: (item: AlertItem) => {
    const value = item.data['valueUsd']
    return { keys: [typeKey(item.type)], severity: item.severity, token: item.tokenAddress, valueUsd: typeof value === 'number' ? value : null }
  },
  risk: (item: RiskItem) => ({ keys: [tokenKey(item.tokenAddress)], replace: item.tokenAddress }),
}

function launchFacts(item: TokenItem): LaunchFacts {
  const usd = item['initialLiquidityUsd']
  return {
    liquidityUsd: typeof usd === 'number' ? usd : null,
    devHeldPercent: item.risk?.devHeldPercent ?? null,
    lpBurnedPercent: item.risk?.lp?.burnedPercent ?? null,
    honeypot: item.risk?.honeypot ?? null,
  }
}

/**
 * The routing metadata of an item on its channel.
 *
 * @example
 * routeOf('trades', trade) // { keys: ['t:0xAb…', 'w:0x66…'], valueUsd: 5 }
 */
export function routeOf<C extends Channel>(channel: C, item: ChannelItems[C]): Route {
  return Object.freeze((routes[channel] as (item: ChannelItems[C]) => Route)(item))
}
