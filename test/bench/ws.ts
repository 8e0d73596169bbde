// `npm run bench -- ws`: WebSocket connections held through the gateway (target 5,000), memory
// per connection at the gateway, and p50/p99 fan-out latency between two app processes.
import { fork, type ChildProcess } from 'node:child_process'
import { generateKeyPairSync, randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import WebSocket from 'ws'
import { createSigner } from 'fast-jwt'
import { createAssertionSigner, IDENTITY_HEADER } from '@claraverse/identity'
import { barChart, median, nextMessage, writeChart, writeResult } from './lib.js'

const CONNECTIONS = Number(process.env['BENCH_WS_CONNECTIONS'] ?? 5000)
const FANOUT_MESSAGES = Number(process.env['BENCH_WS_MESSAGES'] ?? 300)
const SECRET = 'ab'.repeat(64)
const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379'

function start(script: string, env: Record<string, string>, execArgv: string[] = []): Promise<{ proc: ChildProcess; url: string }> {
  const proc = fork(resolve(script), [], { env: { ...process.env, ...env }, execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  return once(proc, 'message').then(([m]) => ({ proc, url: (m as { url: string }).url }))
}

const percentile = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? NaN

async function holdConnections(gatewayUrl: string, gateway: ChildProcess): Promise<Record<string, number>> {
  const sign = createSigner({ key: SECRET, algorithm: 'HS256', iss: 'claraverse-auth', aud: 'claraverse', expiresIn: 3_600_000 })
  const tokens = Array.from({ length: 50 }, (_, i) => sign({ sub: `user_ws${i}`, email: `ws${i}@x.com`, role: 'user', sid: `s${i}`, typ: 'access', jti: randomUUID() }))
  gateway.send('memory')
  const before = (await nextMessage<{ memory: NodeJS.MemoryUsage }>(gateway)).memory
  const sockets: WebSocket[] = []
  let failed = 0
  const started = Date.now()
  for (let i = 0; i < CONNECTIONS; i += 100) {
    await Promise.all(Array.from({ length: Math.min(100, CONNECTIONS - i) }, async (_, j) => {
      const ws = new WebSocket(`${gatewayUrl.replace('http', 'ws')}/ws/chat?token=${tokens[(i + j) % tokens.length]}`, ['claraverse.v1'])
      ws.on('error', () => {})
      // Held means the app said hello through the gateway: both legs are up.
      const ok = await Promise.race([
        new Promise<boolean>((r) => ws.once('message', () => r(true))),
        new Promise<boolean>((r) => ws.once('close', () => r(false))),
        new Promise<boolean>((r) => setTimeout(() => r(false), 20_000)),
      ])
      if (ok) sockets.push(ws)
      else failed++
    }))
  }
  const openMs = Date.now() - started
  await new Promise((r) => setTimeout(r, 1000))
  gateway.send('memory')
  const after = await nextMessage<{ memory: NodeJS.MemoryUsage; sockets: number }>(gateway)
  const alive = sockets.filter((s) => s.readyState === WebSocket.OPEN).length
  for (const s of sockets) s.terminate()
  return {
    attempted: CONNECTIONS, held: alive, failed, open_seconds: openMs / 1000, gateway_registered: after.sockets,
    gateway_rss_mib_before: before.rss / 2 ** 20, gateway_rss_mib_after: after.memory.rss / 2 ** 20,
    gateway_kib_per_connection_rss: (after.memory.rss - before.rss) / 1024 / Math.max(1, alive),
    gateway_kib_per_connection_heap: (after.memory.heapUsed - before.heapUsed) / 1024 / Math.max(1, alive),
  }
}

async function fanout(a: string, b: string, headers: Record<string, string>): Promise<Record<string, number>> {
  const open = async (url: string) => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/ws/chat`, { headers })
    await once(ws, 'message') // connected
    return ws
  }
  const latencies: number[] = []
  // The app allows a burst of 20 messages per socket, then 2/s: use a fresh pair per batch.
  const BATCH = 15
  for (let start = 0; start < FANOUT_MESSAGES; start += BATCH) {
    const [wa, wb] = [await open(a), await open(b)]
    await new Promise((r) => setTimeout(r, 50)) // the second replica's subscription settles
    for (let i = start; i < Math.min(start + BATCH, FANOUT_MESSAGES); i++) {
      const conversation = `c${i}`
      const endOn = (ws: WebSocket) => new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no stream_end for ${conversation}`)), 5000)
        const on = (d: Buffer): void => {
          const m = JSON.parse(d.toString()) as { type: string; conversation_id?: string }
          if (m.type === 'stream_end' && m.conversation_id === conversation) { clearTimeout(timer); ws.off('message', on); resolve(performance.now()) }
        }
        ws.on('message', on)
      })
      const ends = [endOn(wa), endOn(wb)]
      wa.send(JSON.stringify({ type: 'chat_message', conversation_id: conversation, content: 'ping' }))
      const [ta, tb] = await Promise.all(ends)
      latencies.push(tb! - ta!)
    }
    wa.close()
    wb.close()
  }
  return { messages: FANOUT_MESSAGES, p50_ms: percentile(latencies, 50), p99_ms: percentile(latencies, 99), median_ms: median(latencies) }
}

export async function run(): Promise<Record<string, unknown>> {
  const keys = generateKeyPairSync('ed25519')
  const signingPem = keys.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()
  const publicPem = keys.publicKey.export({ format: 'pem', type: 'spki' }).toString()
  const common = { ENVIRONMENT: 'test', LOG_LEVEL: 'warn', REDIS_URL, DATA_DIR: mkdtempSync(join(tmpdir(), 'cv-bench-ws-')) }
  const appA = await start('test/bench/ws-app.mjs', { ...common, IDENTITY_PUBLIC_KEY: publicPem })
  const appB = await start('test/bench/ws-app.mjs', { ...common, IDENTITY_PUBLIC_KEY: publicPem })
  const gateway = await start('test/bench/ws-gateway.mjs', {
    ...common, JWT_SECRET: SECRET, IDENTITY_SIGNING_KEY: signingPem, APP_URL: appA.url, AUTH_URL: appA.url,
    RATE_LIMIT_WEBSOCKET: '1000000', RATE_LIMIT_GLOBAL_API: '1000000', RATE_LIMIT_AUTHENTICATED: '1000000',
  }, ['--expose-gc'])
  process.stderr.write(`ws: app replicas ${appA.url} ${appB.url}, gateway ${gateway.url}\n`)
  try {
    const held = await holdConnections(gateway.url, gateway.proc)
    process.stderr.write(`ws: ${held['held']} connections held\n`)
    const assertion = createAssertionSigner({ privateKey: keys.privateKey }).sign({ sub: 'user_fan', email: 'f@x.com', role: 'user', sid: 's' }, ['app'])
    const fan = await fanout(appA.url, appB.url, { [IDENTITY_HEADER]: assertion })
    const result = { benchmark: 'WebSockets through the gateway; fan-out between app replicas', settings: { connections: CONNECTIONS, fanout_messages: FANOUT_MESSAGES, redis: REDIS_URL }, connections: held, fanout: fan, target_connections: 5000 }
    const file = writeResult('ws', result)
    const chart = writeChart('ws', barChart('WebSocket benchmark', '', [
      { label: 'connections held', value: held['held'] ?? 0 },
      { label: 'gateway KiB/connection (RSS)', value: held['gateway_kib_per_connection_rss'] ?? 0 },
      { label: 'fan-out p50 (µs)', value: (fan['p50_ms'] ?? 0) * 1000 },
      { label: 'fan-out p99 (µs)', value: (fan['p99_ms'] ?? 0) * 1000 },
    ]))
    process.stdout.write(`ws: held ${held['held']}/${CONNECTIONS} through the gateway (${held['failed']} failed, ${held['open_seconds']?.toFixed(1)} s to open), ` +
      `gateway ${held['gateway_kib_per_connection_rss']?.toFixed(1)} KiB RSS per connection; fan-out p50 ${fan['p50_ms']?.toFixed(2)} ms, p99 ${fan['p99_ms']?.toFixed(2)} ms -> ${file}, ${chart}\n`)
    return result
  } finally {
    for (const p of [gateway.proc, appA.proc, appB.proc]) p.kill()
  }
}
