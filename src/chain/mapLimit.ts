/**
 * Maps `items` through `fn` with at most `limit` calls in flight; results keep the input order.
 *
 * @example
 * const headers = await mapLimit(numbers, 8, (n) => rpc.headerByNumber(n))
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  async function worker() {
    while (next < items.length) {
      const index = next++
      results[index] = await fn(items[index] as T)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}
