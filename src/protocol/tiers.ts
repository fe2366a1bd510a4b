import type { AlertType } from './items.js'

/**
 * Access tiers. With JWT configured, a connection is `free` until it presents a valid token whose
 * `tier` claim is `"premium"`. Without JWT, every connection has every feature (and the free limits).
 */
export const tiers = ['free', 'premium'] as const
export type Tier = (typeof tiers)[number]

/** Alert types only premium connections receive (when JWT is configured). */
export const premiumAlertTypes = ['whale', 'rug', 'risk'] as const satisfies readonly AlertType[]

/** Alert types every connection receives; a free `"*"` means these. */
export const freeAlertTypes = ['price', 'volume'] as const satisfies readonly AlertType[]
