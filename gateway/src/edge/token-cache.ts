import { Lru, type Identity } from '@claraverse/identity'

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
  private readonly entries: Lru<string, VerifiedToken>

  constructor(max = 20_000, private readonly now: () => number = Date.now) {
    this.entries = new Lru(max)
  }

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
    this.entries.set(token, value)
  }
}
