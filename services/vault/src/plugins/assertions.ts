import type { AssertionVerifier, VerifiedIdentity } from '@claraverse/identity'
import { Lru } from '../domain/lru.js'

export interface RememberOptions {
  /** Assertions kept; the gateway reuses one per (session, audience) for half its 60 s life. */
  max?: number
  now?: () => number
}

/**
 * Remembers assertions that verified, by their exact text, until their `exp`. The shared
 * verifier re-decodes the token and hashes it before its own cache on every call, which cost
 * the vault more per request than encrypting 1 KiB. Only successes are kept: a forged or
 * expired assertion takes the full path every time. Candidate for @claraverse/identity.
 */
export function rememberVerified(verifier: AssertionVerifier, opts: RememberOptions = {}): AssertionVerifier {
  const now = opts.now ?? Date.now
  const seen = new Lru<string, VerifiedIdentity>(opts.max ?? 4096)
  return {
    async verify(token) {
      const hit = seen.get(token)
      if (hit && hit.exp * 1000 > now()) return hit
      const identity = await verifier.verify(token)
      seen.set(token, identity)
      return identity
    },
  }
}
