/**
 * Polls `check` until it returns a value other than `undefined`/`false` (or stops throwing), then
 * returns it; fails with the last error or `message` after `timeoutMs`.
 *
 * @example
 * await waitFor(() => follower.status().processed === head, { message: 'follower caught up' })
 */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  { timeoutMs = 10_000, intervalMs = 20, message = 'condition' }: { timeoutMs?: number; intervalMs?: number; message?: string } = {},
): Promise<Exclude<T, false | undefined>> {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  for (;;) {
    try {
      const value = await check()
      if (value !== undefined && value !== false) return value as Exclude<T, false | undefined>
    } catch (err) {
      lastError = err
    }
    if (Date.now() > deadline) {
      throw new Error(`waitFor timed out after ${timeoutMs} ms: ${message}`, { cause: lastError })
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}
