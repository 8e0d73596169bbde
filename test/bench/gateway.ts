// `npm run bench -- gateway`: requests/s and latency, side by side in one run, for
// (a) the upstream called directly, (b) nginx proxy_pass to it, (c) the gateway with the full
// chain (CORS + JWT + Redis rate limits + identity assertion + proxy), (d) the gateway on a
// public route. Reports c/b and c/a. Needs wrk and nginx (Debian packages) and Redis.
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { randomUUID } from 'node:crypto'
import { createSigner } from 'fast-jwt'
import { barChart, child, median, writeChart, writeResult } from './lib.js'
import { freePort } from '../helpers/redis-server.js'

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 10)
const CONNECTIONS = 50
const ROUNDS = 2
const SECRET = 'ab'.repeat(64)

interface Run { rps: number; p50_ms: number; p99_ms: number; non2xx: number }

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0
}

function ms(v: string): number {
  const m = /([\d.]+)(us|ms|s)/.exec(v)
  if (!m) return NaN
  const n = Number(m[1])
  return m[2] === 'us' ? n / 1000 : m[2] === 's' ? n * 1000 : n
}

function wrk(url: string, headers: Record<string, string> = {}): Run {
  const args = ['-t1', `-c${CONNECTIONS}`, `-d${SECONDS}s`, '--latency', ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]), url]
  const out = execFileSync('wrk', args, { encoding: 'utf8' })
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1])
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0)
  return { rps, p50_ms: ms(/50%\s+(\S+)/.exec(out)?.[1] ?? ''), p99_ms: ms(/99%\s+(\S+)/.exec(out)?.[1] ?? ''), non2xx }
}

async function startNginx(upstream: string): Promise<{ url: string; stop: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'cv-bench-nginx-'))
  const port = await freePort()
  const target = new URL(upstream)
  // One worker, like the gateway's one event loop; keep-alive to the upstream as DESIGN §15 measured.
  writeFileSync(join(dir, 'nginx.conf'), `
worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}; proxy_temp_path ${dir}; fastcgi_temp_path ${dir}; uwsgi_temp_path ${dir}; scgi_temp_path ${dir};
  upstream app { server ${target.host}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}`)
  const proc = spawn('nginx', ['-c', join(dir, 'nginx.conf'), '-p', dir], { stdio: 'ignore' })
  await new Promise((r) => setTimeout(r, 500))
  return { url: `http://127.0.0.1:${port}`, stop: () => proc.kill('SIGTERM') }
}

export async function run(): Promise<Record<string, unknown>> {
  for (const cmd of ['wrk', 'nginx', 'redis-cli']) {
    if (!has(cmd)) throw new Error(`${cmd} is required for the gateway benchmark (Debian: apt-get install wrk nginx-light redis-server)`)
  }
  const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379'
  const upstream = await child<{ url: string }>(resolve('test/bench/gateway-upstream.mjs'), [])
  const gateway = await child<{ url: string }>(resolve('test/bench/gateway-server.mjs'), [], {
    BENCH_JWT_SECRET: SECRET, BENCH_UPSTREAM: upstream.first.url, BENCH_REDIS_URL: redisUrl,
  })
  const nginx = await startNginx(upstream.first.url)
  const token = createSigner({ key: SECRET, algorithm: 'HS256', iss: 'claraverse-auth', aud: 'claraverse', expiresIn: 3_600_000 })(
    { sub: 'user_bench', email: 'bench@example.com', role: 'user', sid: 'ses_bench', typ: 'access', jti: randomUUID() })
  const paths = {
    a_upstream_direct: () => wrk(`${upstream.first.url}/api/chats`),
    b_nginx_proxy_pass: () => wrk(`${nginx.url}/api/chats`),
    c_gateway_full_chain: () => wrk(`${gateway.first.url}/api/chats`, { authorization: `Bearer ${token}`, origin: 'http://localhost:5173' }),
    d_gateway_public_route: () => wrk(`${gateway.first.url}/api/public/ping`),
  }
  const runs: Record<string, Run[]> = Object.fromEntries(Object.keys(paths).map((k) => [k, []]))
  try {
    wrk(`${gateway.first.url}/api/chats`, { authorization: `Bearer ${token}` }) // warm-up (JIT, pools)
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, fn] of Object.entries(paths)) runs[name]?.push(fn())
    }
  } finally {
    nginx.stop()
    upstream.proc.kill()
    gateway.proc.kill()
  }
  const summary = Object.fromEntries(Object.entries(runs).map(([k, rs]) => [k, {
    rps: median(rs.map((r) => r.rps)), p50_ms: median(rs.map((r) => r.p50_ms)), p99_ms: median(rs.map((r) => r.p99_ms)), non2xx: rs.reduce((a, r) => a + r.non2xx, 0),
  }]))
  const rps = (k: string): number => (summary[k] as { rps: number }).rps
  const result = {
    benchmark: 'gateway throughput, side by side',
    settings: { tool: 'wrk -t1', connections: CONNECTIONS, seconds: SECONDS, rounds: ROUNDS, nginx_workers: 1, redis: redisUrl },
    paths: summary,
    ratios: {
      c_over_b: rps('c_gateway_full_chain') / rps('b_nginx_proxy_pass'),
      c_over_a: rps('c_gateway_full_chain') / rps('a_upstream_direct'),
      d_over_b: rps('d_gateway_public_route') / rps('b_nginx_proxy_pass'),
      target_c_over_b: 0.5,
    },
    runs,
  }
  const file = writeResult('gateway', result)
  const chart = writeChart('gateway', barChart('Gateway benchmark: requests/s (wrk -c50, one run, median of rounds)', 'req/s',
    Object.entries(summary).map(([label, s]) => ({ label, value: (s as { rps: number }).rps }))))
  process.stdout.write(`gateway: ${Object.entries(summary).map(([k, s]) => `${k} ${(s as Run).rps.toFixed(0)} req/s (p99 ${(s as Run).p99_ms.toFixed(1)} ms)`).join('; ')}\n` +
    `  c/b ${result.ratios.c_over_b.toFixed(2)} (target >= 0.5), c/a ${result.ratios.c_over_a.toFixed(2)} -> ${file}, ${chart}\n`)
  return result
}
