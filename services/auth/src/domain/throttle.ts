import type { Redis } from 'ioredis'
import { DuplicateKeyError, type Collection, type Doc, type Store } from '@claraverse/store'
import type { Log } from '@claraverse/logging'

/**
 * Failed-login throttling with growing delays. Each key (an account, an IP) gets some free
 * failures inside a 15-minute window; after those, every failure locks the key for twice as
 * long as the previous one, up to 15 minutes. Unknown accounts are throttled exactly like
 * known ones, so a 429 says nothing about whether an account exists.
 */
export interface ThrottlePolicy {
  freeFailures: number
  windowSeconds: number
  maxLockSeconds: number
}

export const ACCOUNT_POLICY: ThrottlePolicy = { freeFailures: 5, windowSeconds: 900, maxLockSeconds: 900 }
export const IP_POLICY: ThrottlePolicy = { freeFailures: 20, windowSeconds: 900, maxLockSeconds: 900 }

export function lockSeconds(failures: number, policy: ThrottlePolicy): number {
  const over = failures - policy.freeFailures
  return over <= 0 ? 0 : Math.min(2 ** (over - 1), policy.maxLockSeconds)
}

export interface ThrottleKey {
  key: string
  policy: ThrottlePolicy
}

export interface CounterStore {
  /** Milliseconds-epoch until which each key is locked (0 when free). */
  lockedUntil(keys: string[]): Promise<number[]>
  /** Adds one failure and returns the new count; the window restarts with each failure. */
  increment(key: string, windowSeconds: number): Promise<number>
  lock(key: string, untilMs: number, windowSeconds: number): Promise<void>
  reset(key: string): Promise<void>
}

export class LoginThrottle {
  constructor(private readonly counters: CounterStore, private readonly log: Log, private readonly now: () => number = Date.now) {}

  /** Seconds the caller must wait before trying again; 0 when it may try now. */
  async retryAfter(keys: ThrottleKey[]): Promise<number> {
    try {
      const until = await this.counters.lockedUntil(keys.map((k) => k.key))
      const wait = Math.max(0, ...until) - this.now()
      return wait > 0 ? Math.ceil(wait / 1000) : 0
    } catch (err) {
      this.log.warn({ err: { message: (err as Error).message } }, 'login throttle unavailable; allowing the attempt')
      return 0
    }
  }

  async fail(keys: ThrottleKey[]): Promise<void> {
    await Promise.all(keys.map(async ({ key, policy }) => {
      try {
        const failures = await this.counters.increment(key, policy.windowSeconds)
        const seconds = lockSeconds(failures, policy)
        if (seconds > 0) await this.counters.lock(key, this.now() + seconds * 1000, policy.windowSeconds)
      } catch (err) {
        this.log.warn({ err: { message: (err as Error).message } }, 'could not record a failed login')
      }
    }))
  }

  async succeed(key: string): Promise<void> {
    await this.counters.reset(key).catch(() => undefined)
  }
}

export class RedisCounters implements CounterStore {
  constructor(private readonly redis: Redis) {}
  private k = (key: string): string => `loginfail:${key}`

  async lockedUntil(keys: string[]): Promise<number[]> {
    if (keys.length === 0) return []
    const values = await this.redis.pipeline(keys.map((key) => ['hget', this.k(key), 'until'])).exec()
    return (values ?? []).map(([, v]) => Number(v) || 0)
  }

  async increment(key: string, windowSeconds: number): Promise<number> {
    const res = await this.redis.multi().hincrby(this.k(key), 'count', 1).expire(this.k(key), windowSeconds).exec()
    return Number(res?.[0]?.[1]) || 1
  }

  async lock(key: string, untilMs: number, windowSeconds: number): Promise<void> {
    await this.redis.multi().hset(this.k(key), 'until', String(untilMs)).expire(this.k(key), windowSeconds + Math.ceil((untilMs - Date.now()) / 1000)).exec()
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

  async lockedUntil(keys: string[]): Promise<number[]> {
    const docs = await this.col.find({ _id: { $in: keys } })
    return keys.map((k) => docs.find((d) => d._id === k)?.until ?? 0)
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

  async lock(key: string, untilMs: number, windowSeconds: number): Promise<void> {
    await this.col.updateOne({ _id: key }, { $set: { until: untilMs, expires_at: untilMs + windowSeconds * 1000 } })
  }

  async reset(key: string): Promise<void> {
    await this.col.deleteOne({ _id: key })
  }
}
