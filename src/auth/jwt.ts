import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey, type JWSAlgorithm } from 'jose'
import type { Tier } from '../protocol/tiers.js'

/** What a verified token grants: a tier and when it stops (Unix seconds; null: no token). */
export type Grant = { tier: Tier; expiresAt: number | null }

export type TokenVerifierOptions = {
  /** HS256 shared secret (JWT_SECRET). */
  secret?: string | undefined
  /** JWKS endpoint for RS256/ES256 keys (JWT_JWKS_URL). */
  jwksUrl?: string | undefined
  issuer?: string | undefined
  audience?: string | undefined
  clockToleranceSec: number
}

export type TokenVerifier = {
  /** Verifies a JWT; resolves with its grant or rejects with an AuthError. */
  verify(token: string): Promise<Grant>
  /** Seconds a token stays accepted after its `exp` (the clock tolerance). */
  readonly toleranceSec: number
}

/** A token that cannot be accepted; `message` is safe to send to the client. */
export class AuthError extends Error {
  override name = 'AuthError'
  readonly code = 'unauthorized'
}

/**
 * Builds the JWT verifier, or null when neither a secret nor a JWKS URL is configured (auth off).
 * Algorithms are pinned: HS256 for the secret, RS256/ES256 for the JWKS; `none` never passes.
 * `exp` is required; `nbf`, `iss` and `aud` are checked when present/configured.
 *
 * @example
 * const verifier = createTokenVerifier({ secret: process.env.JWT_SECRET, clockToleranceSec: 5 })
 * const { tier } = await verifier!.verify(token) // 'premium' when the token says "tier": "premium"
 */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier | null {
  const { secret, jwksUrl } = options
  if (!secret && !jwksUrl) return null
  const hmacKey = secret ? new TextEncoder().encode(secret) : undefined
  const jwks = jwksUrl ? createRemoteJWKSet(new URL(jwksUrl)) : undefined
  const algorithms: JWSAlgorithm[] = [...(hmacKey ? ['HS256'] : []), ...(jwks ? ['RS256', 'ES256'] : [])]
  const getKey: JWTVerifyGetKey = (header, token) => {
    if (header.alg === 'HS256' && hmacKey) return hmacKey
    if (jwks && header.alg !== 'HS256') return jwks(header, token)
    throw new errors.JOSEAlgNotAllowed('"alg" (Algorithm) Header Parameter value not allowed')
  }
  const verifyOptions = {
    algorithms,
    requiredClaims: ['exp'],
    clockTolerance: options.clockToleranceSec,
    ...(options.issuer ? { issuer: options.issuer } : {}),
    ...(options.audience ? { audience: options.audience } : {}),
  }
  return {
    toleranceSec: options.clockToleranceSec,
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, getKey, verifyOptions)
        return { tier: payload['tier'] === 'premium' ? 'premium' : 'free', expiresAt: payload.exp ?? null }
      } catch (err) {
        throw new AuthError(describe(err), { cause: err })
      }
    },
  }
}

function describe(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'token expired'
  if (err instanceof errors.JWTClaimValidationFailed) return `token claim "${err.claim}" invalid: ${err.message}`
  if (err instanceof errors.JOSEAlgNotAllowed) return 'token algorithm not allowed'
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'token signature invalid'
  if (err instanceof errors.JWKSNoMatchingKey) return 'no key of the key set matches the token'
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid) return 'key set unavailable; try again'
  if (err instanceof errors.JOSEError) return 'token malformed'
  return 'token could not be verified'
}
