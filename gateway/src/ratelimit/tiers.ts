import type { RateLimits } from '@claraverse/config'

export type Tier = keyof RateLimits

/**
 * Redis key of a tier's counter. The user tier's key is exactly `ratelimit:<user id>`, as the
 * security guide documents (`redis-cli DEL "ratelimit:user_abc123"`); the IP tiers are
 * namespaced so that no two tiers count each other's requests.
 */
export function tierKey(tier: Tier, subject: string): string {
  switch (tier) {
    case 'authenticated': return `ratelimit:${subject}`
    case 'global': return `ratelimit:global:${subject}`
    case 'publicRead': return `ratelimit:public:${subject}`
    case 'websocket': return `ratelimit:ws:${subject}`
    case 'imageProxy': return `ratelimit:image:${subject}`
    case 'auth': return `ratelimit:auth:${subject}`
  }
}

export const WINDOW_MS = 60_000

// `user_abc123` (the user tier) or `<tier>:<address>` for the IP tiers (IPv6 per /64).
const clearable = /^(?:[A-Za-z0-9_-]{1,128}|(?:global|public|ws|image|auth):[0-9A-Fa-f.:]{1,64}(?:\/64)?)$/

/** The Redis key an operator may clear for `key` (as given after `ratelimit:`), or undefined. */
export function clearableKey(key: string): string | undefined {
  return clearable.test(key) ? `ratelimit:${key}` : undefined
}
