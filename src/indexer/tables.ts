/**
 * The indexer's state as named tables of immutable values, changed only through `set`/`remove`, so
 * that every change of a block is recorded: its undo (the values it replaced, for a reorg) and the
 * keys it touched (what a store writes after the block). Values are replaced, never mutated.
 */

/** One recorded change: the table, the key, and the value it had before (undefined: absent). */
export type UndoEntry = [table: string, key: string, previous: unknown]

export type Tables<T extends Record<string, unknown>> = {
  readonly [K in keyof T]: ReadonlyMap<string, T[K]>
}

/** What a block changed: undo entries in order, and the (table, key) pairs touched. */
export type ChangeSet = { undo: UndoEntry[]; touched: Map<string, Set<string>> }

export type TableStore<T extends Record<string, unknown>> = {
  readonly tables: Tables<T>
  get<K extends keyof T & string>(table: K, key: string): T[K] | undefined
  set<K extends keyof T & string>(table: K, key: string, value: T[K]): void
  remove<K extends keyof T & string>(table: K, key: string): void
  /** Starts recording a block's changes; `end` returns them. */
  begin(): void
  end(): ChangeSet
  /** Puts back what a change set replaced (newest first). */
  undo(entries: readonly UndoEntry[]): void
  /** Called after every change, also by `undo` and `load` (derived indexes follow the tables). */
  onChange(listener: (table: keyof T & string, key: string, previous: unknown, next: unknown) => void): void
}

/**
 * @example
 * const store = createTableStore({ reserves: new Map<string, [bigint, bigint]>() })
 * store.begin(); store.set('reserves', pair, [1n, 2n]); const { undo } = store.end()
 * store.undo(undo) // the pair has no reserves again
 */
export function createTableStore<T extends Record<string, unknown>>(tables: { [K in keyof T]: Map<string, T[K]> }): TableStore<T> {
  const listeners: ((table: keyof T & string, key: string, previous: unknown, next: unknown) => void)[] = []
  let recording: ChangeSet | null = null

  function write(table: keyof T & string, key: string, next: unknown): void {
    const map = tables[table] as Map<string, unknown>
    const previous = map.get(key)
    if (next === undefined) map.delete(key)
    else map.set(key, next)
    if (recording) {
      recording.undo.push([table, key, previous])
      let keys = recording.touched.get(table)
      if (!keys) recording.touched.set(table, (keys = new Set()))
      keys.add(key)
    }
    for (const listener of listeners) listener(table, key, previous, next)
  }

  return {
    tables,
    get: (table, key) => tables[table].get(key),
    set: (table, key, value) => write(table, key, value),
    remove: (table, key) => {
      if (tables[table].has(key)) write(table, key, undefined)
    },
    begin() {
      recording = { undo: [], touched: new Map() }
    },
    end() {
      const done = recording ?? { undo: [], touched: new Map() }
      recording = null
      return done
    },
    undo(entries) {
      for (let i = entries.length - 1; i >= 0; i--) {
        const [table, key, previous] = entries[i]!
        write(table as keyof T & string, key, previous)
      }
    },
    onChange(listener) {
      listeners.push(listener)
    },
  }
}

/**
 * JSON with bigints (`{"$n":"123"}`): the text form of table values, undo entries and checkpoints.
 *
 * @example
 * decodeJson(encodeJson({ reserve: 10n ** 30n })) // { reserve: 1000000000000000000000000000000n }
 */
export function encodeJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? { $n: v.toString() } : v))
}

export function decodeJson<T = unknown>(text: string): T {
  return JSON.parse(text, (_key, v: unknown) => (v !== null && typeof v === 'object' && '$n' in v && Object.keys(v).length === 1 ? BigInt((v as { $n: string }).$n) : v)) as T
}
