// `npm run bench -- soak [seconds]`: the whole system as `claraverse start` runs it (one process,
// embedded store, in-process bus), driven through the gateway at a fixed rate by a mix of logins,
// account, chat, agent and integration calls, public routes and WebSocket chat round trips.
// Reports errors, achieved rate, latency, and the process's memory over time. Settings: SOAK_SECONDS
// (60), SOAK_RATE (200 req/s), SOAK_WS_RATE (2 round trips/s), SOAK_USERS (8), SOAK_WARMUP_SECONDS
// (a quarter of the run, at most 15), SOAK_LOG_LEVEL (warn), SOAK_REDIS_URL (unset: in-process).
import { lineChart, writeChart, writeResult } from './lib.js'
import { startSystem, type Sample } from './soak-system.js'
import { Traffic, WS_FRESH_EVERY } from './soak-traffic.js'
import { byOp, latency, memory, requests, timeline } from './soak-summary.js'

const num = (name: string, fallback: number): number => {
  const v = Number(process.env[name] ?? fallback)
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} must be a positive number`)
  return v
}

export async function run(args: string[] = []): Promise<Record<string, unknown>> {
  const seconds = Math.round(args[0] !== undefined ? Number(args[0]) : num('SOAK_SECONDS', 60))
  if (!(seconds > 0)) throw new Error(`soak: "${args[0]}" is not a number of seconds`)
  const settings = {
    seconds, rate: num('SOAK_RATE', 200), wsRate: num('SOAK_WS_RATE', 2), users: Math.round(num('SOAK_USERS', 8)), seed: 42,
    warmup: Math.round(num('SOAK_WARMUP_SECONDS', Math.min(15, Math.max(1, seconds / 4)))),
    logLevel: process.env['SOAK_LOG_LEVEL'] ?? 'warn', redisUrl: process.env['SOAK_REDIS_URL'] || undefined,
  }
  const system = await startSystem(settings)
  process.stderr.write(`soak: system at ${system.url} (pid ${system.pid}); ${settings.rate} req/s + ${settings.wsRate} WebSocket round trips/s for ${seconds} s\n`)
  const traffic = new Traffic(system.url, settings)
  const samples: Sample[] = []
  let exitCode: number | string
  let retained = { warmup: NaN, end: NaN, endT: NaN, warmupGcMs: NaN }
  let sampling = true
  try {
    await traffic.setup()
    const start = performance.now()
    const elapsed = (): number => (performance.now() - start) / 1000
    samples.push(await system.sample(0))
    // One sample a second, on the second; at the end of warm-up, the heap after a forced GC.
    const sampler = (async () => {
      for (let k = 1; sampling; k++) {
        await new Promise((r) => setTimeout(r, Math.max(0, start + k * 1000 - performance.now())))
        if (!sampling) break
        samples.push(await system.sample(elapsed()))
        if (k === settings.warmup) {
          const r = await system.retainedHeap()
          retained = { ...retained, warmup: r.mib, warmupGcMs: r.gc_ms }
        }
      }
    })()
    await traffic.run(start)
    sampling = false
    await sampler
    samples.push(await system.sample(elapsed()))
    retained = { ...retained, end: (await system.retainedHeap()).mib, endT: elapsed() }
  } finally {
    sampling = false
    await traffic.close()
    exitCode = await system.stop()
  }
  const logs = system.logLines()
  const level = (l: string): number => { try { return (JSON.parse(l) as { level?: number }).level ?? 0 } catch { return 0 } }
  const result = {
    benchmark: 'soak: the whole system (claraverse start) under a fixed mixed load through the gateway',
    settings: {
      seconds, rate_rps: settings.rate, ws_round_trips_per_s: settings.wsRate, ws_fresh_connection_every: WS_FRESH_EVERY, users: settings.users, warmup_seconds: settings.warmup,
      mix_percent: Object.fromEntries(traffic.ops.map((o) => [o.name, o.weight])), log_level: settings.logLevel,
      store: 'embedded SQLite', bus_and_rate_limits: settings.redisUrl ? `Redis ${settings.redisUrl}` : 'in-process',
      tool: 'open loop (undici, latency from the scheduled send time); one process sampled each second (/proc, V8 heap via a preloaded probe)',
    },
    requests: requests(traffic.outcomes, settings.rate),
    latency_ms: latency(traffic.outcomes),
    by_op: byOp(traffic.outcomes),
    websocket: { ...requests(traffic.ws, settings.wsRate), latency_ms: latency(traffic.ws), by_op: byOp(traffic.ws) },
    // The forced GC at the end of warm-up stops the system once, mid-load: its pause shows in that second's latency.
    memory: { ...memory(samples, settings.warmup, retained), forced_gc_pause_ms: Math.round(retained.warmupGcMs * 10) / 10 },
    cpu_pct: { mean: Math.round(samples.slice(1).reduce((a, s) => a + s.cpu_pct, 0) / Math.max(1, samples.length - 1)), max: Math.round(Math.max(...samples.map((s) => s.cpu_pct).filter(Number.isFinite))) },
    event_loop_delay_ms: { worst_p99_per_second: Math.max(...samples.map((s) => s.loop_p99_ms).filter(Number.isFinite)), max: Math.max(...samples.map((s) => s.loop_max_ms).filter(Number.isFinite)) },
    server_log: { lines: logs.length, warnings: logs.filter((l) => level(l) === 40).length, errors: logs.filter((l) => level(l) >= 50).length, first: logs.slice(0, 10) },
    exit_code: exitCode,
    timeline: timeline(traffic.outcomes, samples, seconds),
  }
  const req = result.requests
  const ws = result.websocket
  const checks = { no_errors: req.errors_total === 0 && ws.errors_total === 0, rate_held: req.achieved_rps >= 0.99 * settings.rate, clean_exit: exitCode === 0 }
  const file = writeResult('soak', { ...result, checks })
  const mem = result.memory
  const chart = writeChart('soak', lineChart(`Soak: ${settings.rate} req/s mixed through the gateway, ${seconds} s`, 'seconds since the load started', [
    { title: 'Process memory', unit: 'MiB', series: [
      { name: 'RSS', color: '#4a7bd0', points: samples.map((s) => [s.t, s.rss_mib]) },
      { name: 'V8 heap used', color: '#d08a4a', points: samples.map((s) => [s.t, s.heap_used_mib]) },
    ] },
    { title: 'Latency of the requests scheduled in each second', unit: 'ms', series: [
      { name: 'p99', color: '#c0392b', points: result.timeline.map((t) => [t.t, t.p99_ms]) },
      { name: 'p50', color: '#27ae60', points: result.timeline.map((t) => [t.t, t.p50_ms]) },
    ] },
  ], [{ x: settings.warmup, label: 'end of warm-up' }]))
  const l = result.latency_ms
  process.stdout.write(`soak: ${req.total} requests at ${req.achieved_rps} req/s (offered ${settings.rate}), errors ${req.errors_total} ${JSON.stringify(req.errors)}, ` +
    `latency p50 ${l.p50} ms, p99 ${l.p99} ms, max ${l.max} ms; WebSocket errors ${ws.errors_total}; ` +
    `RSS ${mem.rss_mib.start} -> ${mem.rss_mib.end} MiB (max ${mem.rss_mib.max}), ${mem.rss_growth_mib_per_min_after_warmup} MiB/min after warm-up; ` +
    `retained heap ${mem.heap_retained_mib.warmup_end} -> ${mem.heap_retained_mib.end} MiB; exit ${exitCode} -> ${file}, ${chart}\n`)
  return { ...result, checks }
}
