import type { RevokedEvent } from '@claraverse/bus'

/**
 * What the gateway knows about revoked tokens, in memory, so checking one costs a map lookup
 * and no Redis round trip. Fed by `auth.revoked` events and, at start, by Redis records.
 * A token is revoked when it was issued (`iat`) before its user's or its session's `not_before`.
 */
export class RevocationCache {
  private readonly users = new Map<string, number>()
  private readonly sessions = new Map<string, number>()

  /** @param retainSeconds how long an entry matters: no access token lives longer. */
  constructor(private readonly retainSeconds: number, private readonly now: () => number = Date.now) {}

  add(event: RevokedEvent): void {
    const put = (map: Map<string, number>, key: string): void => {
      map.set(key, Math.max(map.get(key) ?? 0, event.not_before))
    }
    if (event.sid !== undefined) put(this.sessions, event.sid)
    else if (event.user_id !== undefined) put(this.users, event.user_id)
  }

  isRevoked(sub: string, sid: string, iat: number): boolean {
    const u = this.users.get(sub)
    if (u !== undefined && iat < u) return true
    const s = this.sessions.get(sid)
    return s !== undefined && iat < s
  }

  /** Forgets entries older than any token that could still be valid. */
  prune(): void {
    const horizon = this.now() / 1000 - this.retainSeconds
    for (const map of [this.users, this.sessions]) {
      for (const [k, nb] of map) if (nb < horizon) map.delete(k)
    }
  }

  get size(): number {
    return this.users.size + this.sessions.size
  }
}
