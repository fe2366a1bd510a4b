import type { MarketView, Role, TokenMeta } from '../market/book.js'
import type { Bucket, TokenMarket } from '../market/tokenMarket.js'
import type { TokenRisk } from '../protocol/items.js'
import { followBalance, type Holdings } from '../risk/holdings.js'
import type { Buyer, Groups, SellCheck, Taxes, TrackedToken } from '../risk/tracking.js'
import { createTableStore, decodeJson, encodeJson, type TableStore } from './tables.js'

/** A pair created on a followed DEX whose first liquidity has not arrived yet (the launch waits for it). */
export type PendingLaunch = { token: string; blockNumber: number; txHash: string; from: string; dex: string; timestamp: number }

/** A token's metadata, with the block its `totalSupply` was read at. */
export type TokenInfo = TokenMeta & { supplyBlock: number }

/** Every table of the indexer's state: key → value (values are immutable and JSON-serializable with bigints). */
export type StateTables = {
  /** pair → its role (token/CORE, CORE/USD, other) and DEX. */
  roles: Role
  /** pair → [reserve0, reserve1] from its last `Sync`. */
  reserves: readonly [bigint, bigint]
  /** token (meme or stablecoin) → ERC-20 metadata. */
  meta: TokenInfo
  /** token → its CORE pairs. */
  pairsOf: readonly string[]
  /** token → its creator and first liquidity provider: their sells are rug signals. */
  insiders: readonly string[]
  /** pair → a launch waiting for its first `Mint`. */
  pending: PendingLaunch
  /** token → the launch's pair (launched tokens are never launched again). */
  launched: string
  /** token → creator named by a launcher's `TokenCreated`. */
  creators: string
  /** `<token>|<minute>` → the token's minute bucket. */
  buckets: Bucket
  /** `<rule>:<token>` → block time of the rule's last alert for the token (cooldowns). */
  cooldowns: number
  /** pair → recent liquidity removals (the compounded rug rule). */
  burns: readonly { timestamp: number; percent: number }[]
  /** token → CORE/USD of its last published price item (null: unknown then). */
  priced: number | null
  /** `sweep` → the block time buckets were last evicted at. */
  clock: number
  /** Launch intelligence: token → what is known of it (creator, pair, launch block, whether its history is whole). */
  tracked: TrackedToken
  /** pair (its LP token) → the tracked token it quotes. */
  lpOf: string
  /** `<token or pair>|<holder>` → balance, from `Transfer` logs (only positive balances are kept). */
  balances: bigint
  /** token → its snipers, bundled buyers and insiders. */
  groups: Groups
  /** token → the taxes measured on its last buy and sell (%). */
  taxes: Taxes
  /** token → its last sell check (a simulated transfer to the pair). */
  sellChecks: SellCheck
  /** token → its latest buyer (the wallet a sell check simulates). */
  buyers: Buyer
  /** token → the risk figures last published. */
  risk: TokenRisk
}

export const tableNames = [
  'roles',
  'reserves',
  'meta',
  'pairsOf',
  'insiders',
  'pending',
  'launched',
  'creators',
  'buckets',
  'cooldowns',
  'burns',
  'priced',
  'clock',
  'tracked',
  'lpOf',
  'balances',
  'groups',
  'taxes',
  'sellChecks',
  'buyers',
  'risk',
] as const satisfies readonly (keyof StateTables)[]

/**
 * The indexer's whole state: the tables (the truth: journaled, serializable) and what is derived
 * from them to be fast (each token's buckets in minute order, the CORE/USD pairs), kept in step by
 * the tables' change hook — also through an undo and a load.
 */
export type IndexerState = {
  readonly store: TableStore<StateTables>
  /** Derived: each token's buckets, oldest first. */
  readonly markets: ReadonlyMap<string, TokenMarket>
  /** The market maths' view of the tables. */
  readonly view: MarketView
  /** Derived: each tracked contract's holders and balances (from `balances`). */
  readonly holdings: Holdings
}

export const bucketKey = (token: string, minute: number) => `${token}|${minute}`

/**
 * An empty state.
 *
 * @example
 * const state = createIndexerState()
 * state.store.set('reserves', pair, [1n, 2n])
 */
export function createIndexerState(): IndexerState {
  const maps = Object.fromEntries(tableNames.map((name) => [name, new Map()])) as { [K in keyof StateTables]: Map<string, StateTables[K]> }
  const store = createTableStore<StateTables>(maps)
  const markets = new Map<string, TokenMarket>()
  const usdPairs = new Set<string>()
  const holdings: Holdings = new Map()
  store.onChange((table, key, _previous, next) => {
    if (table === 'buckets') followBucket(markets, key, next as Bucket | undefined)
    else if (table === 'balances') followBalance(holdings, key, next as bigint | undefined)
    else if (table === 'roles' && next && (next as Role).kind === 'usd') usdPairs.add(key)
    else if (table === 'roles') usdPairs.delete(key)
  })
  const view: MarketView = { roles: maps.roles, reserves: maps.reserves, meta: maps.meta, pairsOf: maps.pairsOf, usdPairs }
  return { store, markets, view, holdings }
}

/** Keeps a token's bucket array in minute order as its `buckets` rows change. */
function followBucket(markets: Map<string, TokenMarket>, key: string, next: Bucket | undefined): void {
  const cut = key.lastIndexOf('|')
  const token = key.slice(0, cut)
  const minute = Number(key.slice(cut + 1))
  let market = markets.get(token)
  if (!market) {
    if (!next) return
    markets.set(token, (market = { buckets: [] }))
  }
  const list = market.buckets
  let i = list.length - 1
  while (i >= 0 && list[i]!.minute > minute) i--
  const same = i >= 0 && list[i]!.minute === minute
  if (next) {
    if (same) list[i] = next
    else list.splice(i + 1, 0, next)
  } else if (same) {
    list.splice(i, 1)
    if (list.length === 0) markets.delete(token)
  }
}

/** The state as text rows per table (for a checkpoint file or a store). */
export type StateRows = Record<keyof StateTables, [key: string, value: string][]>

export function dumpState(state: IndexerState): StateRows {
  const tables = state.store.tables
  return Object.fromEntries(tableNames.map((name) => [name, [...tables[name]].map(([k, v]) => [k, encodeJson(v)])])) as StateRows
}

/**
 * A state from rows written by `dumpState` (missing tables are empty).
 *
 * @example
 * const restored = loadState(dumpState(state))
 */
export function loadState(rows: Partial<StateRows>): IndexerState {
  const state = createIndexerState()
  for (const name of tableNames) {
    // Buckets in minute order per token: each then lands at the end of its token's list.
    const list = name === 'buckets' ? [...(rows[name] ?? [])].sort(([a], [b]) => compareBucketKeys(a, b)) : (rows[name] ?? [])
    for (const [key, value] of list) state.store.set(name, key, decodeJson(value) as never)
  }
  return state
}

function compareBucketKeys(a: string, b: string): number {
  const [ta, ma] = [a.slice(0, a.lastIndexOf('|')), Number(a.slice(a.lastIndexOf('|') + 1))]
  const [tb, mb] = [b.slice(0, b.lastIndexOf('|')), Number(b.slice(b.lastIndexOf('|') + 1))]
  return ta < tb ? -1 : ta > tb ? 1 : ma - mb
}
