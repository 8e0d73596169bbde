// `npm run bench -- auth`: login requests/s through the auth service against raw argon2.verify
// on the same parameters and thread pool, interleaved in one run; plus event-loop delay.
import autocannon from 'autocannon'
import { resolve } from 'node:path'
import { child, median, nextMessage, writeResult } from './lib.js'

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 8)
const CONNECTIONS = 8
const ROUNDS = 2
const env = { BENCH_PASSWORD: 'a sturdy benchmark passphrase', UV_THREADPOOL_SIZE: process.env['UV_THREADPOOL_SIZE'] ?? '4', BENCH_USERS: String(CONNECTIONS) }

async function serviceRound(): Promise<{ rps: number; p99_ms: number; errors: number; loop_p99_ms: number }> {
  const { proc, first } = await child<{ url: string }>(resolve('test/bench/auth-service.ts'), [], env)
  proc.send('start')
  // Each connection logs in as its own account (the throttle counts concurrent attempts per account).
  let accounts = 0
  const result = await autocannon({
    url: `${first.url}/api/auth/login`, connections: CONNECTIONS, duration: SECONDS,
    requests: [{
      method: 'POST', path: '/api/auth/login', headers: { 'content-type': 'application/json' },
      setupRequest: (req, context) => {
        const ctx = context as { account?: number }
        ctx.account ??= accounts++ % CONNECTIONS
        return { ...req, body: JSON.stringify({ email: `bench${ctx.account}@example.com`, password: env.BENCH_PASSWORD }) }
      },
    }],
  })
  proc.send('stop')
  const loop = await nextMessage<{ p99_ms: number }>(proc)
  return { rps: result.requests.average, p99_ms: result.latency.p99, errors: result.non2xx + result.errors, loop_p99_ms: loop.p99_ms }
}

async function rawRound(): Promise<{ ops_per_s: number; loop_p99_ms: number }> {
  const { proc } = await child<{ ready: boolean }>(resolve('test/bench/argon2-raw.ts'), [String(CONNECTIONS), String(SECONDS)], env)
  return nextMessage<{ ops_per_s: number; loop_p99_ms: number }>(proc)
}

export async function run(): Promise<Record<string, unknown>> {
  const service: Awaited<ReturnType<typeof serviceRound>>[] = []
  const raw: Array<{ ops_per_s: number; loop_p99_ms: number }> = []
  for (let i = 0; i < ROUNDS; i++) {
    raw.push(await rawRound())
    service.push(await serviceRound())
  }
  const rps = median(service.map((s) => s.rps))
  const rawOps = median(raw.map((r) => r.ops_per_s))
  const result = {
    benchmark: 'auth login vs raw argon2.verify',
    settings: { seconds: SECONDS, connections: CONNECTIONS, rounds: ROUNDS, uv_threadpool_size: env.UV_THREADPOOL_SIZE, argon2: '19 MiB, t=2, p=1' },
    login_rps: rps,
    raw_verify_per_s: rawOps,
    ratio: rps / rawOps,
    target_ratio: 0.9,
    login_p99_ms: median(service.map((s) => s.p99_ms)),
    event_loop_p99_ms: median(service.map((s) => s.loop_p99_ms)),
    // The same figure for a process doing nothing but argon2: what CPU contention alone costs.
    event_loop_p99_ms_raw_argon2: median(raw.map((r) => r.loop_p99_ms)),
    errors: service.reduce((a, s) => a + s.errors, 0),
    rounds: { service, raw },
  }
  const file = writeResult('auth', result)
  process.stdout.write(`auth: login ${rps.toFixed(1)} req/s, raw verify ${rawOps.toFixed(1)}/s, ratio ${(rps / rawOps).toFixed(2)} (target >= 0.9), ` +
    `event-loop p99 ${result.event_loop_p99_ms.toFixed(1)} ms (raw argon2 alone: ${result.event_loop_p99_ms_raw_argon2.toFixed(1)} ms), errors ${result.errors} -> ${file}\n`)
  return result
}
