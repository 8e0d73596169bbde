import type { Redis } from 'ioredis'
import type { Log } from '@claraverse/logging'
import { MemoryCounters } from './memory.js'
import { WINDOW_MS } from './tiers.js'

export interface Hit {
  key: string
  limit: number
  /** The tier's name, for metrics. */
  tier: string
}

export interface Verdict {
  allowed: boolean
  /** Of the most constrained tier: what the RateLimit-* headers report. */
  limit: number
  remaining: number
  resetMs: number
}

// Every tier of one request in one round trip: INCR each key, start its window on first use.
const SCRIPT = `
local out = {}
for i, key in ipairs(KEYS) do
  local n = redis.call('INCR', key)
  local ttl = redis.call('PTTL', key)
  if ttl < 0 then
    redis.call('PEXPIRE', key, ARGV[1])
    ttl = tonumber(ARGV[1])
  end
  out[#out + 1] = n
  out[#out + 1] = ttl
end
return out`

type LimitedRedis = Redis & { rateLimitTiers(numKeys: number, ...args: Array<string | number>): Promise<number[]> }

export interface LimiterStats {
  /** Checks answered from local memory because Redis failed (fail mode `open`). */
  fallbacks: number
  /** Requests refused with 503 because Redis failed (fail mode `closed`). */
  unavailable: number
  /** Requests refused with 429, by the first tier they exceeded. */
  limited: Record<string, number>
}

/**
 * Fixed-window rate limits shared by every gateway replica through Redis. When Redis fails,
 * no request waits for it: the connection has no offline queue and a short command timeout;
 * `open` then counts locally, `closed` refuses. ioredis reconnects by itself, so recovery is
 * automatic.
 */
export class TierLimiter {
  readonly stats: LimiterStats = { fallbacks: 0, unavailable: 0, limited: {} }
  private readonly local = new MemoryCounters()
  private lastWarning = 0

  constructor(
    private readonly redis: Redis | undefined,
    private readonly failMode: 'open' | 'closed',
    private readonly log: Log,
  ) {
    redis?.defineCommand('rateLimitTiers', { lua: SCRIPT })
  }

  /** Counts one request against every hit; undefined means "refuse with 503" (closed mode, Redis down). */
  async check(hits: readonly Hit[]): Promise<Verdict | undefined> {
    if (hits.length === 0) return { allowed: true, limit: 0, remaining: 0, resetMs: 0 }
    const keys = hits.map((h) => h.key)
    let counts: Array<[number, number]>
    if (this.redis) {
      try {
        const flat = await (this.redis as LimitedRedis).rateLimitTiers(keys.length, ...keys, WINDOW_MS)
        counts = keys.map((_, i) => [Number(flat[2 * i]), Number(flat[2 * i + 1])])
      } catch (err) {
        this.warn(err)
        if (this.failMode === 'closed') {
          this.stats.unavailable++
          return undefined
        }
        this.stats.fallbacks++
        counts = this.local.incr(keys, WINDOW_MS)
      }
    } else {
      counts = this.local.incr(keys, WINDOW_MS)
    }
    const v = verdict(hits, counts)
    if (!v.allowed) {
      const tier = hits.find((h, i) => (counts[i]?.[0] ?? 0) > h.limit)?.tier ?? 'unknown'
      this.stats.limited[tier] = (this.stats.limited[tier] ?? 0) + 1
    }
    return v
  }

  /** Clears one counter everywhere it may live; returns how many were removed. */
  async clear(key: string): Promise<number> {
    const local = this.local.clear(key)
    return this.redis ? (await this.redis.del(key)) + local : local
  }

  private warn(err: unknown): void {
    const t = Date.now()
    if (t - this.lastWarning < 10_000) return // one line per 10 s, not one per request
    this.lastWarning = t
    this.log.warn({ err: { message: (err as Error).message }, failMode: this.failMode }, 'rate-limit store unavailable')
  }
}

function verdict(hits: readonly Hit[], counts: Array<[number, number]>): Verdict {
  let allowed = true
  let worst: Verdict | undefined
  hits.forEach((hit, i) => {
    const [n, ttl] = counts[i] ?? [0, WINDOW_MS]
    if (n > hit.limit) allowed = false
    const remaining = Math.max(0, hit.limit - n)
    if (!worst || remaining < worst.remaining || (n > hit.limit && ttl > worst.resetMs)) {
      worst = { allowed: true, limit: hit.limit, remaining, resetMs: ttl }
    }
  })
  return { ...(worst as Verdict), allowed }
}
