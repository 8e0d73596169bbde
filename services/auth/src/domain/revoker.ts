import type { Redis } from 'ioredis'
import { recordRevocation, revocationKey, type Bus, type RevokedEvent } from '@claraverse/bus'
import type { Log } from '@claraverse/logging'

const RETRY_MS = 2_000
/** Undelivered revocations kept for retry; past this, the oldest go (and are logged). */
const MAX_PENDING = 10_000

/**
 * Tells the gateway at once that tokens are no longer good: an `auth.revoked` event for
 * running gateways and a Redis record for gateways that start later. Access tokens issued
 * before `not_before` (epoch seconds, rounded up) are refused from then on.
 *
 * A revocation Redis did not take (it is down) is kept and recorded again when Redis is back:
 * the caller was told its session ended, and gateways read the records every few seconds.
 */
export class Revoker {
  private readonly pending = new Map<string, RevokedEvent>()
  private timer: NodeJS.Timeout | undefined
  private closed = false

  constructor(
    private readonly bus: Bus,
    private readonly redis: Redis | undefined,
    private readonly accessTtl: number,
    private readonly log: Log,
    /** Told of every revocation (metrics). */
    private readonly counted: (scope: 'user' | 'session') => void = () => {},
  ) {
    redis?.on('ready', () => { void this.retry() })
  }

  user(userId: string): Promise<number> {
    return this.send({ user_id: userId })
  }

  /** Session-scoped: carries only the sid, so no reader mistakes it for a user-wide revocation. */
  session(sid: string): Promise<number> {
    return this.send({ sid })
  }

  /** Revocations waiting for Redis. */
  get undelivered(): number {
    return this.pending.size
  }

  close(): void {
    this.closed = true
    clearTimeout(this.timer)
  }

  private async send(subject: { user_id: string } | { sid: string }): Promise<number> {
    const event: RevokedEvent = { ...subject, not_before: Math.ceil(Date.now() / 1000) }
    this.counted('sid' in subject ? 'session' : 'user')
    await this.deliver(event)
    return event.not_before
  }

  private async deliver(event: RevokedEvent): Promise<boolean> {
    const [published, recorded] = await Promise.allSettled([
      this.bus.publish('auth.revoked', event),
      this.redis ? recordRevocation(this.redis, event, this.accessTtl + 60) : Promise.resolve(),
    ])
    for (const r of [published, recorded]) {
      // The store already refuses the session's refresh; only access tokens outlive a failure here.
      if (r.status === 'rejected') this.log.error({ err: r.reason, subject: event.sid ? 'session' : 'user' }, 'revocation not delivered')
    }
    // Recorded is enough: gateways also read the records after a reconnect and every few seconds.
    if (recorded.status === 'fulfilled') return true
    this.keep(event)
    return false
  }

  private keep(event: RevokedEvent): void {
    const key = revocationKey(event)
    const known = this.pending.get(key)
    this.pending.delete(key) // re-inserted last: the map stays in age order
    this.pending.set(key, known && known.not_before > event.not_before ? known : event)
    for (const [oldest] of this.pending) {
      if (this.pending.size <= MAX_PENDING) break
      this.pending.delete(oldest)
      this.log.error({ key: oldest.startsWith('revoked:sid:') ? 'session' : 'user' }, 'revocation dropped: too many undelivered')
    }
    if (!this.timer && !this.closed) this.timer = setTimeout(() => { void this.retry() }, RETRY_MS).unref()
  }

  private async retry(): Promise<void> {
    clearTimeout(this.timer)
    this.timer = undefined
    if (this.closed) return
    const due = [...this.pending.values()]
    this.pending.clear()
    const now = Date.now() / 1000
    for (const [i, event] of due.entries()) {
      // Every token issued before it has expired by now: nothing is left to refuse.
      if (event.not_before + this.accessTtl < now) continue
      if (!await this.deliver(event)) {
        // Still down (deliver kept this one): the rest wait for the next attempt.
        for (const rest of due.slice(i + 1)) this.keep(rest)
        return
      }
    }
  }
}
