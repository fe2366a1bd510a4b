/** A token bucket: holds up to `capacity` tokens, refilled continuously at `perMinute`. */
export type TokenBucket = {
  /** Takes one token: 0 when granted, else the milliseconds until one is available. */
  take(): number
  /** Changes the refill rate (tokens already earned are kept). */
  setRate(perMinute: number): void
}

export type TokenBucketOptions = { capacity: number; perMinute: number; now?: () => number }

/**
 * @example
 * const bucket = createTokenBucket({ capacity: 20, perMinute: 100 })
 * bucket.take() // 0: granted
 */
export function createTokenBucket({ capacity, perMinute, now = Date.now }: TokenBucketOptions): TokenBucket {
  let tokens = capacity
  let rate = perMinute / 60_000
  let last = now()
  function refill(): void {
    const t = now()
    tokens = Math.min(capacity, tokens + (t - last) * rate)
    last = t
  }
  return {
    take() {
      refill()
      if (tokens >= 1) {
        tokens -= 1
        return 0
      }
      return Math.max(1, Math.ceil((1 - tokens) / rate))
    },
    setRate(perMinute) {
      refill()
      rate = perMinute / 60_000
    },
  }
}

export type RateVerdict = { ok: true } | { ok: false; retryAfterMs: number; close: boolean }

export type RateLimiter = {
  /** Counts one client message. */
  check(): RateVerdict
  setRate(perMinute: number): void
}

export type RateLimiterOptions = {
  /** Sustained messages per minute (RATE_LIMIT_PER_MIN, or the premium rate). */
  perMinute: number
  /** Messages that may arrive at once (RATE_LIMIT_BURST). */
  burst: number
  /** Refused messages tolerated (an allowance refilled at the same rate) before `close` (RATE_LIMIT_CLOSE_AFTER). */
  closeAfter: number
  now?: () => number
}

/**
 * The per-connection message limit: a token bucket for messages, and a second one for refusals, so a
 * client that keeps sending after being refused (more than twice the rate, sustained) is closed.
 *
 * @example
 * const limiter = createRateLimiter({ perMinute: 100, burst: 20, closeAfter: 50 })
 * const verdict = limiter.check() // { ok: false, retryAfterMs: 412, close: false } once over
 */
export function createRateLimiter({ perMinute, burst, closeAfter, now }: RateLimiterOptions): RateLimiter {
  const messages = createTokenBucket({ capacity: burst, perMinute, ...(now ? { now } : {}) })
  const refusals = createTokenBucket({ capacity: closeAfter, perMinute, ...(now ? { now } : {}) })
  return {
    check() {
      const retryAfterMs = messages.take()
      if (retryAfterMs === 0) return { ok: true }
      return { ok: false, retryAfterMs, close: refusals.take() > 0 }
    },
    setRate(rate) {
      messages.setRate(rate)
      refusals.setRate(rate)
    },
  }
}
