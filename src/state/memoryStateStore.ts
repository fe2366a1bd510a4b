import type { Channel } from '../protocol/items.js'
import { candlesOf } from './candles.js'
import { candleSeconds, type StateDelta, type StateStore } from './stateStore.js'

/** Everything a memory store holds, as texts: what a Redis read model is re-seeded from. */
export type StateDump = {
  /** Launch texts, newest first. */
  recent: string[]
  tokens: Map<string, TokenState>
}

type TokenState = { price?: string; risk?: string; holders?: string; launch?: string; trades: string[]; buckets: Map<number, string> }

export type MemoryStateStore = StateStore & {
  /** Applies one block's changes (synchronously: the memory ledger's atomic step). */
  apply(delta: StateDelta): void
  dump(): StateDump
  /** Replaces everything with a dump (a warm start). */
  restore(dump: StateDump): void
}

export type MemoryStateStoreOptions = {
  /** Launches kept on the recent list. */
  recentLimit: number
  /** Trades kept per token. */
  tradesPerToken?: number
  /** The newest seq of a channel, read in the same turn as the state (the memory bus's `seqOf`). */
  seqOf: (channel: Channel) => number
}

/**
 * An in-process read model of JSON texts, with bounded lists (recent launches, trades per token,
 * a day of minute buckets per token).
 *
 * @example
 * const store = createMemoryStateStore({ recentLimit: 50, seqOf: bus.seqOf })
 * store.apply({ ...emptyDelta(), launches: [{ token, json }] })
 * await store.recentTokens(10) // { seq, items: [json] }
 */
export function createMemoryStateStore({ recentLimit, tradesPerToken = 200, seqOf }: MemoryStateStoreOptions): MemoryStateStore {
  let recent: string[] = []
  let tokens = new Map<string, TokenState>()

  function token(address: string): TokenState {
    let t = tokens.get(address)
    if (!t) tokens.set(address, (t = { trades: [], buckets: new Map() }))
    return t
  }

  /** One text per requested token that has it (`'*'`: every token). */
  function texts(requested: readonly string[] | '*', pick: (t: TokenState) => string | undefined): string[] {
    const list = requested === '*' ? tokens.values() : requested.map((a) => tokens.get(a))
    const items: string[] = []
    for (const t of list) {
      const text = t && pick(t)
      if (text) items.push(text)
    }
    return items
  }

  function apply(delta: StateDelta): void {
    for (const { token: a, json } of delta.unlaunches) {
      recent = recent.filter((r) => r !== json)
      const t = tokens.get(a)
      if (t) t.launch = t.price = t.risk = t.holders = undefined
    }
    for (const { token: a, json } of delta.untrades) {
      const t = tokens.get(a)
      if (t) t.trades = t.trades.filter((x) => x !== json)
    }
    for (const { token: a, json } of delta.launches) {
      token(a).launch = json
      recent.unshift(json)
    }
    if (recent.length > recentLimit) recent.length = recentLimit
    for (const { token: a, json } of delta.trades) {
      const list = token(a).trades
      list.push(json)
      if (list.length > tradesPerToken) list.splice(0, list.length - tradesPerToken)
    }
    for (const { token: a, json } of delta.prices) token(a).price = json
    for (const { token: a, json } of delta.risk) token(a).risk = json
    for (const { token: a, json } of delta.holders) token(a).holders = json
    for (const { token: a, minute, json } of delta.buckets) token(a).buckets.set(minute, json)
    for (const { token: a, minute } of delta.unbuckets) tokens.get(a)?.buckets.delete(minute)
  }

  return {
    apply,
    async prices(requested) {
      return { seq: seqOf('prices'), items: texts(requested, (t) => t.price) }
    },
    async risk(requested) {
      return { seq: seqOf('risk'), items: texts(requested, (t) => t.risk) }
    },
    async holders(address) {
      return tokens.get(address)?.holders ?? null
    },
    async recentTokens(limit) {
      return { seq: seqOf('tokens'), items: recent.slice(0, limit) }
    },
    async launch(address) {
      return tokens.get(address)?.launch ?? null
    },
    async trades(address, limit) {
      return (tokens.get(address)?.trades ?? []).slice(-limit).reverse()
    },
    async candles(address, interval) {
      const buckets = tokens.get(address)?.buckets
      return buckets && buckets.size > 0 ? candlesOf([...buckets.values()], candleSeconds[interval]) : null
    },
    dump: () => copy({ recent, tokens }),
    restore(dump) {
      ;({ recent, tokens } = copy(dump))
    },
  }
}

function copy(dump: StateDump): StateDump {
  return { recent: [...dump.recent], tokens: new Map([...dump.tokens].map(([a, t]) => [a, { ...t, trades: [...t.trades], buckets: new Map(t.buckets) }])) }
}
