// One renderer per benchmark for docs/benchmarks.md: its lines of the summary table, and its
// section (what was measured, the figures, the charts). They read the JSON each benchmark writes.
export type Result = Record<string, unknown> & { machine?: Record<string, unknown>; charts?: string[] }
export interface SummaryRow { figure: string; measured: string; target?: string; met?: boolean }
type Section = (r: Result, name: string) => { summary: SummaryRow[]; body: string }

/** A value at a dotted path, or undefined. */
function get(o: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), o)
}

const num = (o: unknown, path: string): number => {
  const v = get(o, path)
  return typeof v === 'number' ? v : NaN
}

/** Figures for reading: thousands separated, few decimals; NaN and missing as "?". */
export function fmt(v: number, digits = !Number.isInteger(v) && Math.abs(v) < 10 ? 2 : 0): string {
  return Number.isFinite(v) ? v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '?'
}

function charts(r: Result, titles: Record<string, string> = {}): string {
  return (r.charts ?? []).map((c) => `![${titles[c] ?? c.replace(/\.svg$/, '')}](benchmarks/${c})`).join('\n\n')
}

function when(r: Result): string {
  const m = r.machine ?? {}
  const load = Array.isArray(m['loadavg_before']) ? `, load average before ${(m['loadavg_before'] as number[]).join(' / ')}` : ''
  return `*Run ${String(m['started_at'] ?? m['at'] ?? '?').replace('T', ' ').slice(0, 16)} UTC at commit \`${String(m['commit'] ?? '?')}\`${load}${m['note'] ? ' (see the conditions at the top)' : ''}.*`
}

/** A ratio over failing requests means nothing: say so beside it (and the target is not met). */
const errorsNote = (errors: number): string => (errors === 0 ? '' : ` (**${Number.isFinite(errors) ? fmt(errors, 0) : 'unknown'} failed requests**)`)

const table = (head: string[], rows: string[][]): string =>
  [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n')

const gateway: Section = (r) => {
  const paths: Array<[string, string, string]> = [
    ['a_upstream_direct', 'upstream Fastify route, called directly', '1.5'],
    ['b_nginx_proxy_pass', 'nginx `proxy_pass`, keep-alive upstream (1 worker)', '1.00'],
    ['c_gateway_full_chain', 'gateway, full chain: CORS, JWT, Redis rate limits, identity assertion, proxy', '≥ 0.5 (target)'],
    ['d_gateway_public_route', 'gateway, public route (no JWT)', '—'],
  ]
  const nginx = num(r, 'paths.b_nginx_proxy_pass.rps')
  const ratio = num(r, 'ratios.c_over_b')
  const target = num(r, 'ratios.target_c_over_b')
  const s = get(r, 'settings')
  const failures = paths.reduce((a, [key]) => a + num(r, `paths.${key}.non2xx`), 0)
  return {
    summary: [
      { figure: 'gateway full chain ÷ nginx proxy_pass (req/s)', measured: fmt(ratio) + errorsNote(failures), target: `≥ ${fmt(target, 1)}`, met: ratio >= target && failures === 0 },
      { figure: 'gateway full chain', measured: `${fmt(num(r, 'paths.c_gateway_full_chain.rps'))} req/s, p99 ${fmt(num(r, 'paths.c_gateway_full_chain.p99_ms'), 1)} ms` },
    ],
    body: [
      '## Gateway (`npm run bench -- gateway`)', '', when(r), '',
      `Requests/s through each path to the same small JSON upstream, side by side in one run: ${String(get(s, 'tool'))} -c${String(get(s, 'connections'))}, ` +
      `${String(get(s, 'seconds'))} s per path, median of ${String(get(s, 'rounds'))} rounds, Redis at ${String(get(s, 'redis'))}.`, '',
      table(['path', 'req/s', '× nginx', 'p50 ms', 'p99 ms', 'non-2xx', 'budget, × nginx (DESIGN §15)'], paths.map(([key, label, budget]) => [
        label, fmt(num(r, `paths.${key}.rps`)), fmt(num(r, `paths.${key}.rps`) / nginx, 2), fmt(num(r, `paths.${key}.p50_ms`), 1), fmt(num(r, `paths.${key}.p99_ms`), 1), fmt(num(r, `paths.${key}.non2xx`), 0), budget,
      ])), '',
      `Full chain ÷ upstream direct: ${fmt(num(r, 'ratios.c_over_a'))}. DESIGN §15 measured the same chain built from stock plugins at 0.12 × nginx (Redis rate limit) and a raw \`node:http\` + undici \`Pool\` proxy at 0.70.`, '',
      charts(r),
    ].join('\n'),
  }
}

const auth: Section = (r) => {
  const ratio = num(r, 'ratio')
  const target = num(r, 'target_ratio')
  const s = get(r, 'settings')
  return {
    summary: [{ figure: 'login req/s ÷ raw `argon2.verify`/s', measured: fmt(ratio) + errorsNote(num(r, 'errors')), target: `≥ ${fmt(target, 1)}`, met: ratio >= target && num(r, 'errors') === 0 }],
    body: [
      '## Auth (`npm run bench -- auth`)', '', when(r), '',
      `Logins/s through the auth service (HTTP, store, tokens, sessions) against bare \`argon2.verify\` at the same parameters (${String(get(s, 'argon2'))}) ` +
      `and thread pool (UV_THREADPOOL_SIZE=${String(get(s, 'uv_threadpool_size'))}), ${String(get(s, 'connections'))} concurrent, ${String(get(s, 'seconds'))} s, ` +
      `interleaved, median of ${String(get(s, 'rounds'))} rounds.`, '',
      table(['figure', 'value'], [
        ['login through the service', `${fmt(num(r, 'login_rps'), 1)} req/s (p99 ${fmt(num(r, 'login_p99_ms'), 0)} ms)`],
        ['raw `argon2.verify`', `${fmt(num(r, 'raw_verify_per_s'), 1)} /s`],
        ['ratio (target)', `${fmt(ratio)} (≥ ${fmt(target, 1)})`],
        ['event-loop delay p99, service', `${fmt(num(r, 'event_loop_p99_ms'), 1)} ms`],
        ['event-loop delay p99, a process doing only argon2', `${fmt(num(r, 'event_loop_p99_ms_raw_argon2'), 1)} ms`],
        ['errors', fmt(num(r, 'errors'), 0)],
      ]),
    ].join('\n'),
  }
}

const vault: Section = (r) => {
  const ratio = num(r, 'ratio')
  const target = num(r, 'target_ratio')
  const s = get(r, 'settings')
  const rows = ['echo', 'echo_crypto', 'vault'].flatMap((k) => ['1', '10'].map((n) => [
    `${({ echo: 'bare Fastify echo', echo_crypto: 'bare Fastify + AES-GCM', vault: 'vault' } as Record<string, string>)[k]}, ${n}/request`,
    fmt(num(r, `http_round_trips_per_s.${k}_x${n}.round_trips_per_s`)), fmt(num(r, `http_round_trips_per_s.${k}_x${n}.p99_ms`), 1),
    fmt(num(r, `http_round_trips_per_s.${k}_x${n}.non2xx`) + num(r, `http_round_trips_per_s.${k}_x${n}.errors`), 0),
  ]))
  const failures = ['echo', 'echo_crypto', 'vault'].flatMap((k) => ['1', '10'].map((n) => num(r, `http_round_trips_per_s.${k}_x${n}.non2xx`) + num(r, `http_round_trips_per_s.${k}_x${n}.errors`)))
    .reduce((a, n) => a + n, 0)
  return {
    summary: [{ figure: 'vault ÷ bare Fastify echo, 1 KiB encrypt+decrypt round trips', measured: fmt(ratio) + errorsNote(failures), target: `≥ ${fmt(target, 1)}`, met: ratio >= target && failures === 0 }],
    body: [
      '## Vault (`npm run bench -- vault`)', '', when(r), '',
      `1 KiB encrypt+decrypt round trips/s over HTTP (autocannon -c${String(get(s, 'connections'))}, ${String(get(s, 'seconds'))} s, median of ${String(get(s, 'rounds'))} rounds), ` +
      'against a bare Fastify answering the same routes with the same payloads, and the same doing only the vault\'s AES-GCM (the ceiling Node\'s crypto leaves).', '',
      table(['server', 'round trips/s', 'p99 ms', 'errors'], rows), '',
      `Ratio ${fmt(ratio)} (target ≥ ${fmt(target, 1)}); batches of 10: ${fmt(num(r, 'ratio_batch_10'))}; AES-GCM alone in bare Fastify: ${fmt(num(r, 'crypto_ceiling_ratio'))}, ` +
      `so the vault reaches ${fmt(num(r, 'vault_over_crypto_ceiling'))} of that ceiling. In process: ${fmt(num(r, 'in_process_round_trips_per_s.key_cache'))} round trips/s ` +
      `with the derived-key cache, ${fmt(num(r, 'in_process_round_trips_per_s.no_key_cache'))} without (HKDF each time).`, '',
      charts(r),
    ].join('\n'),
  }
}

const ws: Section = (r) => {
  const held = num(r, 'connections.held')
  const target = num(r, 'target_connections')
  return {
    summary: [
      { figure: 'WebSocket connections held through the gateway', measured: fmt(held, 0), target: `≥ ${fmt(target, 0)}`, met: held >= target },
      { figure: 'fan-out between app replicas over Redis', measured: `p50 ${fmt(num(r, 'fanout.p50_ms'))} ms, p99 ${fmt(num(r, 'fanout.p99_ms'))} ms` },
    ],
    body: [
      '## WebSockets (`npm run bench -- ws`)', '', when(r), '',
      table(['figure', 'value'], [
        ['connections held through the gateway (attempted)', `${fmt(held, 0)} (${fmt(num(r, 'connections.attempted'), 0)}), ${fmt(num(r, 'connections.failed'), 0)} failed, ${fmt(num(r, 'connections.open_seconds'), 1)} s to open`],
        ['gateway memory per connection', `${fmt(num(r, 'connections.gateway_kib_per_connection_rss'), 1)} KiB RSS, ${fmt(num(r, 'connections.gateway_kib_per_connection_heap'), 1)} KiB heap`],
        ['gateway RSS before → after', `${fmt(num(r, 'connections.gateway_rss_mib_before'), 0)} → ${fmt(num(r, 'connections.gateway_rss_mib_after'), 0)} MiB`],
        [`chat fan-out between two app replicas over Redis (${fmt(num(r, 'fanout.messages'), 0)} messages)`, `p50 ${fmt(num(r, 'fanout.p50_ms'))} ms, p99 ${fmt(num(r, 'fanout.p99_ms'))} ms`],
      ]), '',
      charts(r),
    ].join('\n'),
  }
}

const soak: Section = (r) => {
  const offered = num(r, 'settings.rate_rps')
  const achieved = num(r, 'requests.achieved_rps')
  const errors = num(r, 'requests.errors_total') + num(r, 'websocket.errors_total')
  const errorList = (path: string): string => Object.entries((get(r, path) ?? {}) as Record<string, number>).map(([k, n]) => `${k}: ${n}`).join(', ') || 'none'
  const byOp = Object.entries((get(r, 'by_op') ?? {}) as Record<string, Record<string, number>>).map(([op, v]) =>
    [op, fmt(v['count'] ?? NaN, 0), fmt(v['errors'] ?? NaN, 0), fmt(v['p50_ms'] ?? NaN, 1), fmt(v['p99_ms'] ?? NaN, 1), fmt(v['max_ms'] ?? NaN, 1)])
  const seconds = num(r, 'settings.seconds')
  return {
    summary: [
      { figure: `soak ${fmt(seconds, 0)} s: errors (HTTP + WebSocket)`, measured: fmt(errors, 0), target: '0', met: errors === 0 },
      { figure: 'soak: achieved rate', measured: `${fmt(achieved, 1)} of ${fmt(offered, 0)} req/s`, target: '≥ 99% of offered', met: achieved >= 0.99 * offered },
      { figure: 'soak: latency', measured: `p50 ${fmt(num(r, 'latency_ms.p50'), 1)} ms, p99 ${fmt(num(r, 'latency_ms.p99'), 1)} ms, max ${fmt(num(r, 'latency_ms.max'), 0)} ms` },
      { figure: 'soak: RSS after warm-up', measured: `${fmt(num(r, 'memory.rss_growth_mib_per_min_after_warmup'), 1)} MiB/min; retained heap ${fmt(num(r, 'memory.heap_retained_mib.warmup_end'), 1)} → ${fmt(num(r, 'memory.heap_retained_mib.end'), 1)} MiB` },
    ],
    body: [
      '## Soak (`npm run bench -- soak`)', '', when(r), '',
      `The whole system as \`claraverse start\` runs it (one process: gateway, auth, vault, app; ${String(get(r, 'settings.store'))}; ` +
      `bus and rate limits ${String(get(r, 'settings.bus_and_rate_limits'))}; rate limits raised so nothing is throttled; LOG_LEVEL=${String(get(r, 'settings.log_level'))}), ` +
      `driven through the gateway for ${fmt(seconds, 0)} s at a fixed ${fmt(offered, 0)} req/s (open loop: latency counts from the scheduled send time) by ` +
      `${fmt(num(r, 'settings.users'), 0)} users, plus ${fmt(num(r, 'settings.ws_round_trips_per_s'), 0)} WebSocket chat round trips/s (one socket per user, ` +
      `every ${fmt(num(r, 'settings.ws_fresh_connection_every'), 0)}th round trip of a socket on a fresh connection). Memory is sampled each second; the first ${fmt(num(r, 'settings.warmup_seconds'), 0)} s are warm-up. ` +
      'A run this short shows trends, not the absence of a slow leak: run it for longer (`npm run bench -- soak 1800`) before a release.', '',
      table(['figure', 'value'], [
        ['requests (answered)', `${fmt(num(r, 'requests.total'), 0)} (${fmt(num(r, 'requests.answered'), 0)})`],
        ['achieved rate', `${fmt(achieved, 1)} req/s of ${fmt(offered, 0)} offered`],
        ['errors (non-2xx or failed), by status', `${fmt(num(r, 'requests.errors_total'), 0)}: ${errorList('requests.errors')}`],
        ['latency', `p50 ${fmt(num(r, 'latency_ms.p50'), 1)} ms, p90 ${fmt(num(r, 'latency_ms.p90'), 1)} ms, p99 ${fmt(num(r, 'latency_ms.p99'), 1)} ms, p99.9 ${fmt(num(r, 'latency_ms.p999'), 1)} ms, max ${fmt(num(r, 'latency_ms.max'), 1)} ms`],
        ['WebSocket round trips (errors)', `${fmt(num(r, 'websocket.total'), 0)} (${fmt(num(r, 'websocket.errors_total'), 0)}: ${errorList('websocket.errors')}), p50 ${fmt(num(r, 'websocket.latency_ms.p50'), 1)} ms, p99 ${fmt(num(r, 'websocket.latency_ms.p99'), 1)} ms`],
        ['RSS start / warm-up end / end / max', `${fmt(num(r, 'memory.rss_mib.start'), 0)} / ${fmt(num(r, 'memory.rss_mib.warmup_end'), 0)} / ${fmt(num(r, 'memory.rss_mib.end'), 0)} / ${fmt(num(r, 'memory.rss_mib.max'), 0)} MiB`],
        ['RSS growth after warm-up (least squares)', `${fmt(num(r, 'memory.rss_growth_mib_per_min_after_warmup'), 2)} MiB/min`],
        ['V8 heap used: growth after warm-up', `${fmt(num(r, 'memory.heap_used_growth_mib_per_min_after_warmup'), 2)} MiB/min (max ${fmt(num(r, 'memory.heap_used_mib.max'), 0)} MiB)`],
        ['heap retained after a forced GC: warm-up end → end', `${fmt(num(r, 'memory.heap_retained_mib.warmup_end'), 1)} → ${fmt(num(r, 'memory.heap_retained_mib.end'), 1)} MiB (${fmt(num(r, 'memory.heap_retained_growth_mib_per_min'), 2)} MiB/min); the GC at warm-up end paused the system ${fmt(num(r, 'memory.forced_gc_pause_ms'), 0)} ms`],
        ['open file descriptors start / warm-up end / end / max (sockets of every keep-alive pool included)', `${fmt(num(r, 'memory.open_fds.start'), 0)} / ${fmt(num(r, 'memory.open_fds.warmup_end'), 0)} / ${fmt(num(r, 'memory.open_fds.end'), 0)} / ${fmt(num(r, 'memory.open_fds.max'), 0)}`],
        ['CPU of the system process, mean / max', `${fmt(num(r, 'cpu_pct.mean'), 0)}% / ${fmt(num(r, 'cpu_pct.max'), 0)}% (of one core)`],
        ['event-loop delay, worst per-second p99 / max', `${fmt(num(r, 'event_loop_delay_ms.worst_p99_per_second'), 1)} / ${fmt(num(r, 'event_loop_delay_ms.max'), 1)} ms`],
        ['server log lines (warnings, errors); exit code after SIGTERM', `${fmt(num(r, 'server_log.lines'), 0)} (${fmt(num(r, 'server_log.warnings'), 0)}, ${fmt(num(r, 'server_log.errors'), 0)}); ${String(get(r, 'exit_code'))}`],
      ]), '',
      'By operation (share of requests in `settings.mix_percent`):', '',
      table(['operation', 'requests', 'errors', 'p50 ms', 'p99 ms', 'max ms'], byOp), '',
      charts(r),
    ].join('\n'),
  }
}

/** Any other benchmark: its top-level numbers. */
const generic: Section = (r, name) => ({
  summary: [],
  body: [`## ${name}`, '', when(r), '', table(['figure', 'value'], Object.entries(r).filter(([, v]) => typeof v === 'number').map(([k, v]) => [k, fmt(v as number)])), '', charts(r)].join('\n'),
})

export const sections: Record<string, Section> = { gateway, auth, vault, ws, soak, generic }
