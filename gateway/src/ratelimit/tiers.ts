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
