/** A map that forgets its least recently used entry past `maxSize`. */
export type LruCache<K, V> = {
  get(key: K): V | undefined
  has(key: K): boolean
  set(key: K, value: V): void
  delete(key: K): boolean
  readonly size: number
}

/**
 * Creates a bounded LRU map (a `Map` kept in recency order).
 *
 * @example
 * const cache = createLruCache<string, number>(2)
 * cache.set('a', 1); cache.set('b', 2); cache.set('c', 3) // 'a' is forgotten
 */
export function createLruCache<K, V>(maxSize: number): LruCache<K, V> {
  const map = new Map<K, V>()
  return {
    get(key) {
      const value = map.get(key)
      if (value === undefined) return undefined
      map.delete(key)
      map.set(key, value)
      return value
    },
    has: (key) => map.has(key),
    set(key, value) {
      map.delete(key)
      map.set(key, value)
      while (map.size > maxSize) map.delete(map.keys().next().value as K)
    },
    delete: (key) => map.delete(key),
    get size() {
      return map.size
    },
  }
}
