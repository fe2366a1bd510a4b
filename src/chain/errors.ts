import { BaseError, HttpRequestError, TimeoutError } from 'viem'

/** Codes of errors the chain follower raises itself. */
export type ChainErrorCode = 'chain_race' | 'chain_stopped'

/** An error the follower raises itself, with a stable `code`. */
export class ChainError extends Error {
  override name = 'ChainError'
  readonly code: ChainErrorCode
  constructor(code: ChainErrorCode, message: string) {
    super(message)
    this.code = code
  }
}

const retryableHttpStatus = new Set([403, 408, 413, 425, 429, 500, 502, 503, 504])
const retryableRpcCodes = new Set([-1, -32002, -32005, -32007, -32603, 429])
const networkCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_SOCKET'])
const networkMessage = /fetch failed|socket hang up|network|timed? ?out|ECONNRE|EPIPE|closed|other side closed/i
const rangeLimitMessage =
  /query returned more than|block range|range (is )?too (large|wide)|[\d,]+k? (block )?range|too many (results|logs|blocks)|response size|exceed(s|ed)? (the )?max|query timeout|\[0x[0-9a-f]+, ?0x[0-9a-f]+\]/i
/** Generic wording that means a range limit on `eth_getLogs`, unless it speaks of requests (a rate limit). */
const genericLimitMessage = /limit exceeded|too many/i
const rateLimitMessage = /request|rate|per second|credits|throughput/i

/** Every error in the cause chain, outermost first. */
function causes(err: unknown): unknown[] {
  const chain: unknown[] = []
  let current: unknown = err
  while (current != null && chain.length < 10) {
    chain.push(current)
    current = (current as { cause?: unknown }).cause
  }
  return chain
}

function isRetryableOne(e: unknown): boolean {
  if (e instanceof ChainError) return e.code === 'chain_race'
  if (e instanceof TimeoutError) return true
  if (e instanceof HttpRequestError) return e.status === undefined || retryableHttpStatus.has(e.status)
  const { code, status } = e as { code?: unknown; status?: unknown }
  if (typeof status === 'number' && retryableHttpStatus.has(status)) return true
  if (typeof code === 'number' && retryableRpcCodes.has(code)) return true
  if (typeof code === 'string' && networkCodes.has(code)) return true
  return e instanceof Error && !(e instanceof BaseError) && networkMessage.test(e.message)
}

/**
 * Should the caller try again later? True for network failures, timeouts, HTTP 429/5xx, rate limits and
 * node-side internal errors; false for reverts, bad parameters and decoding errors.
 *
 * @example
 * if (!isRetryableError(err)) throw err
 */
export function isRetryableError(err: unknown): boolean {
  return causes(err).some(isRetryableOne)
}

/** Did `eth_getLogs` refuse the range as too large (too many results, range too wide, response too big)? */
export function isRangeLimitError(err: unknown): boolean {
  return causes(err).some((e) => {
    if (!(e instanceof Error)) return false
    // The answer was larger than the client takes (viem: 10 MB): a smaller range answers.
    if (e.name === 'ResponseBodyTooLargeError') return true
    // viem puts the node's own words in `details`; its `message` adds the URL and request body.
    const details = (e as { details?: unknown }).details
    const nodeText = typeof details === 'string' && details !== '' ? details : e.message
    if (rangeLimitMessage.test(nodeText) || rangeLimitMessage.test(e.message)) return true
    return genericLimitMessage.test(nodeText) && !rateLimitMessage.test(nodeText) && (e as { status?: unknown }).status !== 429
  })
}

/** The block range a node suggests in its error (`... try with this block range [0x1, 0x2]`), as a size. */
export function suggestedRangeSize(err: unknown): number | null {
  for (const e of causes(err)) {
    const text = e instanceof Error ? `${e.message} ${String((e as { details?: unknown }).details ?? '')}` : ''
    const match = /\[(0x[0-9a-f]+), ?(0x[0-9a-f]+)\]/i.exec(text)
    if (match?.[1] && match[2]) {
      const size = Number(BigInt(match[2]) - BigInt(match[1])) + 1
      if (size > 0) return size
    }
  }
  return null
}

/** Resolves after `ms`, or rejects with `chain_stopped` as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new ChainError('chain_stopped', 'stopped'))
    const timer = setTimeout(done, ms)
    function done() {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }
    function onAbort() {
      clearTimeout(timer)
      reject(new ChainError('chain_stopped', 'stopped'))
    }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/** Exponential backoff with full jitter: attempt 0 → up to `baseMs`, doubling, capped at `maxMs`. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30))
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2)
}

export type WithRetryOptions = {
  retries?: number
  baseMs?: number
  maxMs?: number
  signal?: AbortSignal
}

/**
 * Runs `fn`, retrying retryable errors with exponential backoff. Non-retryable errors throw at once.
 *
 * @example
 * const block = await withRetry(() => client.getBlock({ blockNumber }), { retries: 4 })
 */
export async function withRetry<T>(fn: () => Promise<T>, options: WithRetryOptions = {}): Promise<T> {
  const { retries = 4, baseMs = 100, maxMs = 5000, signal } = options
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn()
    } catch (err) {
      if (attempt >= retries || !isRetryableError(err) || signal?.aborted) throw err
      await sleep(backoffDelay(attempt, baseMs, maxMs), signal)
    }
  }
}

/**
 * What kind of failure an RPC error is, for metrics: `range_limit`, `rate_limit`, `timeout`,
 * `network`, `http`, `rpc` or `other`.
 *
 * @example
 * errorKind(new TimeoutError({ url, body })) // 'timeout'
 */
export function errorKind(err: unknown): string {
  if (isRangeLimitError(err)) return 'range_limit'
  const all = causes(err)
  if (all.some((e) => e instanceof TimeoutError)) return 'timeout'
  if (all.some((e) => (e as { status?: unknown }).status === 429 || (e as { code?: unknown }).code === 429)) return 'rate_limit'
  if (all.some((e) => e instanceof HttpRequestError && e.status === undefined) || all.some((e) => networkCodes.has(String((e as { code?: unknown }).code)))) return 'network'
  if (all.some((e) => e instanceof HttpRequestError)) return 'http'
  if (all.some((e) => typeof (e as { code?: unknown }).code === 'number')) return 'rpc'
  return 'other'
}
