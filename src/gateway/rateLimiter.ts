/** A token bucket: holds up to `capacity` tokens, refilled continuously at `perMinute`. */
export type TokenBucket = {
  /** Takes one token: 0 when granted, else the milliseconds until one is available. */
  take(): number
  /** Changes the refill rate (tokens already earned are kept). */
  setRate(perMinute: number): void
}

export type TokenBucketOptions = { capacity: number; perMinute: number; now?: () => number }

/**
 * Buckets and limiters are per connection: plain fields with the methods on the prototype, so ten
 * thousand connections do not hold ten thousand copies of each closure.
 */
class Bucket implements TokenBucket {
  private tokens: number
  private rate: number
  private last: number
  constructor(
    private readonly capacity: number,
    perMinute: number,
    private readonly now: () => number,
  ) {
    this.tokens = capacity
    this.rate = perMinute / 60_000
    this.last = now()
  }

  private refill(): void {
    const t = this.now()
    this.tokens = Math.min(this.capacity, this.tokens + (t - this.last) * this.rate)
    this.last = t
  }

  take(): number {
    this.refill()
    if (this.tokens >= 1) {
      this.tokens -= 1
      return 0
    }
    return Math.max(1, Math.ceil((1 - this.tokens) / this.rate))
  }

  setRate(perMinute: number): void {
    this.refill()
    this.rate = perMinute / 60_000
  }
}

/**
 * @example
 * const bucket = createTokenBucket({ capacity: 20, perMinute: 100 })
 * bucket.take() // 0: granted
 */
export function createTokenBucket({ capacity, perMinute, now = Date.now }: TokenBucketOptions): TokenBucket {
  return new Bucket(capacity, perMinute, now)
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
export function createRateLimiter({ perMinute, burst, closeAfter, now = Date.now }: RateLimiterOptions): RateLimiter {
  return new Limiter(new Bucket(burst, perMinute, now), new Bucket(closeAfter, perMinute, now))
}

const GRANTED: RateVerdict = { ok: true }

class Limiter implements RateLimiter {
  constructor(
    private readonly messages: Bucket,
    private readonly refusals: Bucket,
  ) {}

  check(): RateVerdict {
    const retryAfterMs = this.messages.take()
    if (retryAfterMs === 0) return GRANTED
    return { ok: false, retryAfterMs, close: this.refusals.take() > 0 }
  }

  setRate(rate: number): void {
    this.messages.setRate(rate)
    this.refusals.setRate(rate)
  }
}
