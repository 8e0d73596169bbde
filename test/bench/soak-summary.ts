// Figures of a soak run: request outcomes by status and op, latency percentiles, per-second
// timeline, and memory trends after warm-up.
import type { Outcome } from './soak-traffic.js'
import type { Sample } from './soak-system.js'

/** Nearest-rank percentile of an ascending array. */
export const percentile = (sorted: number[], p: number): number =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!

const round = (v: number, digits = 2): number => (Number.isFinite(v) ? Math.round(v * 10 ** digits) / 10 ** digits : v)
const ascending = (xs: number[]): number[] => xs.filter(Number.isFinite).sort((a, b) => a - b)
const isOk = (o: Outcome): boolean => o.status === 'ok' || (typeof o.status === 'number' && o.status >= 200 && o.status < 300)

/** Least-squares slope of y over x. */
export function slope(points: Array<[number, number]>): number {
  const pts = points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y))
  if (pts.length < 3) return NaN
  const mx = pts.reduce((a, [x]) => a + x, 0) / pts.length
  const my = pts.reduce((a, [, y]) => a + y, 0) / pts.length
  const sxx = pts.reduce((a, [x]) => a + (x - mx) ** 2, 0)
  return sxx === 0 ? NaN : pts.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0) / sxx
}

export function latency(outcomes: Outcome[]): Record<'p50' | 'p90' | 'p99' | 'p999' | 'max', number> {
  const ms = ascending(outcomes.map((o) => o.latency_ms))
  return { p50: round(percentile(ms, 50)), p90: round(percentile(ms, 90)), p99: round(percentile(ms, 99)), p999: round(percentile(ms, 99.9)), max: round(ms[ms.length - 1] ?? NaN) }
}

export interface RequestFigures {
  total: number; answered: number; ok: number; errors_total: number; errors: Record<string, number>
  offered_rps: number; achieved_rps: number; error_rate: number
}

export function requests(outcomes: Outcome[], offeredRate: number): RequestFigures {
  const errors: Record<string, number> = {}
  for (const o of outcomes) if (!isOk(o)) errors[String(o.status)] = (errors[String(o.status)] ?? 0) + 1
  const answered = outcomes.filter((o) => typeof o.status === 'number' || isOk(o))
  const lastDone = Math.max(...outcomes.map((o) => o.done_s).filter(Number.isFinite), 1e-9)
  const errorsTotal = Object.values(errors).reduce((a, n) => a + n, 0)
  return {
    total: outcomes.length, answered: answered.length, ok: outcomes.length - errorsTotal, errors_total: errorsTotal, errors,
    offered_rps: offeredRate, achieved_rps: round(answered.length / lastDone, 1), error_rate: round(errorsTotal / Math.max(1, outcomes.length), 5),
  }
}

export function byOp(outcomes: Outcome[]): Record<string, Record<string, number>> {
  const ops = [...new Set(outcomes.map((o) => o.op))].sort()
  return Object.fromEntries(ops.map((op) => {
    const mine = outcomes.filter((o) => o.op === op)
    const l = latency(mine)
    return [op, { count: mine.length, errors: mine.filter((o) => !isOk(o)).length, p50_ms: l.p50, p99_ms: l.p99, max_ms: l.max }]
  }))
}

export interface Tick { t: number; requests: number; errors: number; p50_ms: number; p99_ms: number; rss_mib: number; heap_used_mib: number; cpu_pct: number; fds: number; loop_p99_ms: number }

/** One row per second of the run: the requests scheduled in it, and the sample taken at its end. */
export function timeline(outcomes: Outcome[], samples: Sample[], seconds: number): Tick[] {
  const buckets: Outcome[][] = Array.from({ length: seconds }, () => [])
  for (const o of outcomes) buckets[o.second]?.push(o)
  return buckets.map((b, s) => {
    const sample = samples.find((x) => x.t >= s + 1) ?? samples[samples.length - 1]
    const ms = ascending(b.map((o) => o.latency_ms))
    return {
      t: s + 1, requests: b.length, errors: b.filter((o) => !isOk(o)).length, p50_ms: round(percentile(ms, 50)), p99_ms: round(percentile(ms, 99)),
      rss_mib: round(sample?.rss_mib ?? NaN, 1), heap_used_mib: round(sample?.heap_used_mib ?? NaN, 1), cpu_pct: round(sample?.cpu_pct ?? NaN, 0),
      fds: sample?.fds ?? NaN, loop_p99_ms: round(sample?.loop_p99_ms ?? NaN),
    }
  })
}

/** RSS and heap: start, warm-up end, end, peak, and growth per minute after warm-up. */
export interface MemoryFigures {
  rss_mib: Record<'start' | 'warmup_end' | 'end' | 'max', number>
  rss_growth_mib_per_min_after_warmup: number
  heap_used_mib: Record<'start' | 'end' | 'max', number>
  heap_used_growth_mib_per_min_after_warmup: number
  heap_retained_mib: Record<'warmup_end' | 'end', number>
  heap_retained_growth_mib_per_min: number
  open_fds: Record<'start' | 'warmup_end' | 'end' | 'max', number>
}

export function memory(samples: Sample[], warmup: number, retained: { warmup: number; end: number; endT: number }): MemoryFigures {
  const after = samples.filter((s) => s.t >= warmup)
  const at = (t: number): Sample | undefined => samples.find((s) => s.t >= t)
  const first = samples[0]
  const last = samples[samples.length - 1]
  const perMin = (key: 'rss_mib' | 'heap_used_mib'): number => round(slope(after.map((s) => [s.t, s[key]])) * 60)
  return {
    rss_mib: { start: round(first?.rss_mib ?? NaN, 1), warmup_end: round(at(warmup)?.rss_mib ?? NaN, 1), end: round(last?.rss_mib ?? NaN, 1), max: round(Math.max(...samples.map((s) => s.rss_mib)), 1) },
    rss_growth_mib_per_min_after_warmup: perMin('rss_mib'),
    heap_used_mib: { start: round(first?.heap_used_mib ?? NaN, 1), end: round(last?.heap_used_mib ?? NaN, 1), max: round(Math.max(...samples.map((s) => s.heap_used_mib)), 1) },
    heap_used_growth_mib_per_min_after_warmup: perMin('heap_used_mib'),
    // Heap still used after a forced full GC: what the process keeps, garbage aside. The clearest leak signal.
    heap_retained_mib: { warmup_end: round(retained.warmup), end: round(retained.end) },
    heap_retained_growth_mib_per_min: round((retained.end - retained.warmup) / Math.max((retained.endT - warmup) / 60, 1e-9)),
    // Keep-alive pools between the parts (all in this process) grow when latency spikes: compare after warm-up.
    open_fds: { start: first?.fds ?? NaN, warmup_end: at(warmup)?.fds ?? NaN, end: last?.fds ?? NaN, max: Math.max(...samples.map((s) => s.fds)) },
  }
}
