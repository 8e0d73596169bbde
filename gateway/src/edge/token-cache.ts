import type { Identity } from '@claraverse/identity'

export interface VerifiedToken {
  identity: Identity
  iat: number
  /** Epoch seconds. */
  exp: number
}

/**
 * Verified access tokens by their exact text, so a client's repeated requests cost a map
 * lookup instead of an HMAC and claim checks. Entries die with their token; revocation is
 * checked on every request, outside this cache. Bounded: the oldest entry goes first.
 */
export class TokenCache {
  private readonly entries = new Map<string, VerifiedToken>()

  constructor(private readonly max = 20_000, private readonly now: () => number = Date.now) {}

  get(token: string): VerifiedToken | undefined {
    const hit = this.entries.get(token)
    if (!hit) return undefined
    if (hit.exp * 1000 <= this.now()) {
      this.entries.delete(token)
      return undefined
    }
    return hit
  }

  set(token: string, value: VerifiedToken): void {
    if (this.entries.size >= this.max) {
      const oldest = this.entries.keys().next().value
      if (oldest !== undefined) this.entries.delete(oldest)
    }
    this.entries.set(token, value)
  }
}
