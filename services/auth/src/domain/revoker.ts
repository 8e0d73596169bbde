import type { Redis } from 'ioredis'
import { recordRevocation, type Bus, type RevokedEvent } from '@claraverse/bus'
import type { Log } from '@claraverse/logging'

/**
 * Tells the gateway at once that tokens are no longer good: an `auth.revoked` event for
 * running gateways and a Redis record for gateways that start later. Access tokens issued
 * before `not_before` (epoch seconds, rounded up) are refused from then on.
 */
export class Revoker {
  constructor(
    private readonly bus: Bus,
    private readonly redis: Redis | undefined,
    private readonly accessTtl: number,
    private readonly log: Log,
    /** Told of every revocation (metrics). */
    private readonly counted: (scope: 'user' | 'session') => void = () => {},
  ) {}

  user(userId: string): Promise<number> {
    return this.send({ user_id: userId })
  }

  /** Session-scoped: carries only the sid, so no reader mistakes it for a user-wide revocation. */
  session(sid: string): Promise<number> {
    return this.send({ sid })
  }

  private async send(subject: { user_id: string } | { sid: string }): Promise<number> {
    const event: RevokedEvent = { ...subject, not_before: Math.ceil(Date.now() / 1000) }
    this.counted('sid' in subject ? 'session' : 'user')
    const results = await Promise.allSettled([
      this.bus.publish('auth.revoked', event),
      this.redis ? recordRevocation(this.redis, event, this.accessTtl + 60) : Promise.resolve(),
    ])
    for (const r of results) {
      // The store already refuses the session's refresh; only access tokens outlive a failure here.
      if (r.status === 'rejected') this.log.error({ err: r.reason, subject: event.sid ? 'session' : 'user' }, 'revocation not delivered')
    }
    return event.not_before
  }
}
