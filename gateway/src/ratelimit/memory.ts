/**
 * Fixed-window counters in this process's memory: the store when no Redis is configured
 * (embedded mode), and the fallback while Redis is down in `open` fail mode. Bounded, so a
 * flood of distinct client addresses cannot exhaust memory.
 */
export class MemoryCounters {
  private readonly counters = new Map<string, { count: number; resetAt: number }>()

  constructor(private readonly maxKeys = 100_000, private readonly now: () => number = Date.now) {}

  /** Adds one to each key; returns [count, ms until reset] per key, like the Redis script. */
  incr(keys: readonly string[], windowMs: number): Array<[number, number]> {
    const t = this.now()
    return keys.map((key) => {
      let c = this.counters.get(key)
      if (!c || c.resetAt <= t) {
        if (!c && this.counters.size >= this.maxKeys) this.evict(t)
        c = { count: 0, resetAt: t + windowMs }
        this.counters.set(key, c)
      }
      c.count++
      return [c.count, c.resetAt - t]
    })
  }

  clear(key: string): number {
    return this.counters.delete(key) ? 1 : 0
  }

  private evict(t: number): void {
    for (const [k, c] of this.counters) if (c.resetAt <= t) this.counters.delete(k)
    // Still full: drop the oldest insertions (Map iterates in insertion order).
    const excess = this.counters.size - Math.floor(this.maxKeys * 0.9)
    if (excess > 0) {
      let n = 0
      for (const k of this.counters.keys()) {
        if (n++ >= excess) break
        this.counters.delete(k)
      }
    }
  }
}
