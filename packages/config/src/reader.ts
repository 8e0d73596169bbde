/** One problem with one variable; the message names the variable and says what is wrong. */
export class ConfigError extends Error {
  readonly problems: string[]
  constructor(service: string, problems: string[]) {
    super(`${service}: invalid configuration:\n  - ${problems.join('\n  - ')}`)
    this.name = 'ConfigError'
    this.problems = problems
  }
}

export type Env = Record<string, string | undefined>

const durationUnits: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800 }

/** Parses `900`, `30s`, `15m`, `12h`, `7d` into seconds; undefined when malformed. */
export function parseDuration(raw: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$/i.exec(raw)
  if (!m || m[1] === undefined) return undefined
  const seconds = Number(m[1]) * (durationUnits[(m[2] ?? 's').toLowerCase()] ?? 1)
  return Number.isFinite(seconds) && seconds > 0 ? seconds : undefined
}

/**
 * Reads variables and collects every problem, so one start-up reports all of them at once.
 * Empty strings count as unset: compose files often pass `VAR=` for "not configured".
 */
export class EnvReader {
  readonly problems: string[] = []
  readonly warnings: string[] = []
  /** Every variable this reader looked at; the README test checks each is documented. */
  readonly seen = new Set<string>()

  constructor(private readonly env: Env) {}

  raw(name: string): string | undefined {
    this.seen.add(name)
    const v = this.env[name]
    return v === undefined || v.trim() === '' ? undefined : v.trim()
  }

  problem(name: string, what: string): void {
    this.problems.push(`${name} ${what}`)
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback
  }

  optional(name: string): string | undefined {
    return this.raw(name)
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const v = this.raw(name)
    if (v === undefined) return fallback
    if ((allowed as readonly string[]).includes(v)) return v as T
    this.problem(name, `must be one of ${allowed.join(', ')} (got "${v}")`)
    return fallback
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const v = this.raw(name)
    if (v === undefined) return fallback
    const n = /^-?\d+$/.test(v) ? Number(v) : NaN
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      this.problem(name, `must be a whole number from ${min} to ${max} (got "${v}")`)
      return fallback
    }
    return n
  }

  port(name: string, fallback: number): number {
    return this.int(name, fallback, 0, 65535)
  }

  /** A duration in seconds: `900`, `15m`, `7d`. */
  duration(name: string, fallback: string): number {
    const v = this.raw(name) ?? fallback
    const seconds = parseDuration(v)
    if (seconds === undefined) {
      this.problem(name, `must be a duration such as 30s, 15m, 12h or 7d (got "${v}")`)
      return parseDuration(fallback) ?? 1
    }
    return seconds
  }

  list(name: string, fallback: readonly string[] = []): string[] {
    const v = this.raw(name)
    if (v === undefined) return [...fallback]
    return v.split(',').map((s) => s.trim()).filter((s) => s.length > 0)
  }

  url(name: string, fallback: string | undefined, protocols: readonly string[] = ['http:', 'https:']): string | undefined {
    const v = this.raw(name) ?? fallback
    if (v === undefined) return undefined
    try {
      const u = new URL(v)
      if (!protocols.includes(u.protocol)) {
        this.problem(name, `must be a ${protocols.join(' or ')} URL (got protocol "${u.protocol}")`)
        return undefined
      }
      return v.replace(/\/+$/, '')
    } catch {
      this.problem(name, 'must be an absolute URL')
      return undefined
    }
  }

  /** Throws a ConfigError naming every problem found so far. */
  finish(service: string): void {
    if (this.problems.length > 0) throw new ConfigError(service, this.problems)
  }
}
