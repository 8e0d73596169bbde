import type { Redis } from 'ioredis'
import { DuplicateKeyError, type Collection, type Doc, type Store } from '@claraverse/store'
import type { Log } from '@claraverse/logging'

/**
 * Login throttling with growing delays. Each key (an account, an IP) gets some free attempts
 * inside a 15-minute window; past those, an attempt is admitted only when the key is not
 * locked, and each admitted one locks the key for twice as long as the last (up to 15 min).
 * Admission is decided by atomic operations, so concurrent guesses cannot all slip through.
 * Unknown accounts are throttled exactly like known ones: a 429 reveals nothing.
 */
export interface ThrottlePolicy {
  freeAttempts: number
  windowSeconds: number
  maxLockSeconds: number
}

export const ACCOUNT_POLICY: ThrottlePolicy = { freeAttempts: 5, windowSeconds: 900, maxLockSeconds: 900 }
export const IP_POLICY: ThrottlePolicy = { freeAttempts: 20, windowSeconds: 900, maxLockSeconds: 900 }

export function lockSeconds(attempts: number, policy: ThrottlePolicy): number {
  const over = attempts - policy.freeAttempts
  return over <= 0 ? 0 : Math.min(2 ** (over - 1), policy.maxLockSeconds)
}

export interface ThrottleKey {
  key: string
  policy: ThrottlePolicy
}

export interface CounterStore {
  /** Adds one attempt and returns the new count; the window restarts with each attempt. */
  increment(key: string, windowSeconds: number): Promise<number>
  /** Atomically: if the key is not locked at `nowMs`, lock it until `untilMs` and return 0; else the current lock end. */
  claim(key: string, nowMs: number, untilMs: number, windowSeconds: number): Promise<number>
  /** Takes back one attempt (a success from a shared address is not a failure). */
  decrement(key: string): Promise<void>
  reset(key: string): Promise<void>
}

export class LoginThrottle {
  constructor(private readonly counters: CounterStore, private readonly log: Log, private readonly now: () => number = Date.now) {}

  /** 0 when the attempt may go ahead, else the seconds to wait. Every admitted attempt is counted. */
  async admit(keys: ThrottleKey[]): Promise<number> {
    try {
      const waits = await Promise.all(keys.map(async ({ key, policy }) => {
        const attempts = await this.counters.increment(key, policy.windowSeconds)
        if (attempts <= policy.freeAttempts) return 0
        const t = this.now()
        const lockedUntil = await this.counters.claim(key, t, t + lockSeconds(attempts, policy) * 1000, policy.windowSeconds)
        return lockedUntil > t ? Math.ceil((lockedUntil - t) / 1000) : 0
      }))
      return Math.max(0, ...waits)
    } catch (err) {
      // Availability over lockout: the store being down must not stop every login.
      this.log.warn({ err: { message: (err as Error).message } }, 'login throttle unavailable; allowing the attempt')
      return 0
    }
  }

  /** After a success: the account starts afresh, and the address gets its attempt back. */
  async succeed(account: string | undefined, ip?: string): Promise<void> {
    await Promise.all([
      account ? this.counters.reset(account) : undefined,
      ip ? this.counters.decrement(ip) : undefined,
    ]).catch(() => undefined)
  }
}

// Redis: counters in a hash per key; the claim is a script, so check-and-lock is one step.
const CLAIM = `
local untilMs = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
if untilMs > tonumber(ARGV[1]) then return untilMs end
redis.call('HSET', KEYS[1], 'until', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 0`

type ClaimRedis = Redis & { throttleClaim(key: string, now: number, until: number, ttl: number): Promise<number> }

export class RedisCounters implements CounterStore {
  constructor(private readonly redis: Redis) {
    redis.defineCommand('throttleClaim', { numberOfKeys: 1, lua: CLAIM })
  }
  private k = (key: string): string => `loginfail:${key}`

  async increment(key: string, windowSeconds: number): Promise<number> {
    const res = await this.redis.multi().hincrby(this.k(key), 'count', 1).expire(this.k(key), windowSeconds).exec()
    return Number(res?.[0]?.[1]) || 1
  }

  async claim(key: string, nowMs: number, untilMs: number, windowSeconds: number): Promise<number> {
    const ttl = windowSeconds + Math.ceil((untilMs - nowMs) / 1000)
    return Number(await (this.redis as ClaimRedis).throttleClaim(this.k(key), nowMs, untilMs, ttl))
  }

  async decrement(key: string): Promise<void> {
    await this.redis.hincrby(this.k(key), 'count', -1)
  }

  async reset(key: string): Promise<void> {
    await this.redis.del(this.k(key))
  }
}

interface CounterDoc extends Doc {
  count: number
  until: number
  expires_at: number
}

/** Counters in the document store, for when no Redis is configured (embedded mode). */
export class StoreCounters implements CounterStore {
  private constructor(private readonly col: Collection<CounterDoc>) {}

  static async open(store: Store): Promise<StoreCounters> {
    return new StoreCounters(await store.collection<CounterDoc>('login_failures', { expiresAtField: 'expires_at' }))
  }

  async increment(key: string, windowSeconds: number): Promise<number> {
    const expires = Date.now() + windowSeconds * 1000
    for (let attempt = 0; attempt < 3; attempt++) {
      const doc = await this.col.findOneAndUpdate({ _id: key }, { $inc: { count: 1 }, $set: { expires_at: expires } })
      if (doc) return doc.count
      try {
        await this.col.insertOne({ _id: key, count: 1, until: 0, expires_at: expires })
        return 1
      } catch (err) {
        if (!(err instanceof DuplicateKeyError)) throw err // someone inserted first: increment theirs
      }
    }
    return 1
  }

  async claim(key: string, nowMs: number, untilMs: number, windowSeconds: number): Promise<number> {
    const won = await this.col.findOneAndUpdate({ _id: key, until: { $lte: nowMs } }, { $set: { until: untilMs, expires_at: untilMs + windowSeconds * 1000 } })
    if (won) return 0
    return (await this.col.findOne({ _id: key }))?.until ?? 0
  }

  async decrement(key: string): Promise<void> {
    await this.col.updateOne({ _id: key }, { $inc: { count: -1 } })
  }

  async reset(key: string): Promise<void> {
    await this.col.deleteOne({ _id: key })
  }
}
