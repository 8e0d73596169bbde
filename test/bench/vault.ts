// `npm run bench -- vault`: encrypt+decrypt round trips/s of 1 KiB items through the vault over
// HTTP (one item per request, and batches of 10), against a bare Fastify answering the same routes
// with the same payloads, and against that bare Fastify doing only the vault's AES-GCM (the
// ceiling Node's crypto leaves), interleaved in one run; plus in-process encrypt+decrypt round
// trips/s with and without the derived-key cache.
import autocannon from 'autocannon'
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { resolve } from 'node:path'
import { createAssertionSigner, IDENTITY_HEADER } from '@claraverse/identity'
import { barChart, child, median, writeChart, writeResult } from './lib.js'

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 8)
const CONNECTIONS = 10
const ROUNDS = 2
const ITEM_BYTES = 1024
const BATCHES = [1, 10]
const labels: Record<string, string> = { echo: 'bare Fastify echo', echo_crypto: 'bare Fastify + AES-GCM', vault: 'vault' }
const CONTEXT = 'integration:bench'

interface Run { round_trips_per_s: number; p50_ms: number; p99_ms: number; non2xx: number; errors: number }
interface Ctx { ciphertexts?: string[] }
type Body = { items: Array<Record<string, string>> }

/**
 * Each connection encrypts a batch, then decrypts what came back. One round trip per item: with
 * one item per request that is two requests, with a batch of n it is 2/n requests.
 */
async function roundTrips(url: string, headers: Record<string, string>, plaintexts: string[], seconds: number): Promise<Run> {
  const r = await autocannon({
    url, connections: CONNECTIONS, duration: seconds,
    requests: [
      {
        method: 'POST', path: '/v1/encrypt', headers, body: JSON.stringify({ items: plaintexts.map((plaintext) => ({ plaintext, context: CONTEXT })) }),
        onResponse: (status, body, context) => {
          (context as Ctx).ciphertexts = status === 200 ? (JSON.parse(body) as Body).items.map((i) => i['ciphertext'] ?? '') : ['failed']
        },
      },
      {
        method: 'POST', path: '/v1/decrypt', headers,
        setupRequest: (req, context) => ({ ...req, body: JSON.stringify({ items: ((context as Ctx).ciphertexts ?? []).map((ciphertext) => ({ ciphertext, context: CONTEXT })) }) }),
      },
    ],
  })
  return { round_trips_per_s: (r.requests.average / 2) * plaintexts.length, p50_ms: r.latency.p50, p99_ms: r.latency.p99, non2xx: r.non2xx, errors: r.errors }
}

/** One checked round trip, so the benchmark never measures a server that answers wrongly. */
async function check(url: string, headers: Record<string, string>, plaintext: string): Promise<void> {
  const post = async (path: string, body: unknown): Promise<Body> => {
    const res = await fetch(`${url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) })
    if (res.status !== 200) throw new Error(`${url}${path} answered ${res.status}: ${await res.text()}`)
    return await res.json() as Body
  }
  const sealed = await post('/v1/encrypt', { items: [{ plaintext, context: CONTEXT }] })
  const opened = await post('/v1/decrypt', { items: [{ ciphertext: sealed.items[0]?.['ciphertext'], context: CONTEXT }] })
  if (opened.items[0]?.['plaintext'] !== plaintext) throw new Error(`${url}: the round trip did not return the plaintext`)
}

const summarize = (runs: Run[]): Run => ({
  round_trips_per_s: median(runs.map((r) => r.round_trips_per_s)), p50_ms: median(runs.map((r) => r.p50_ms)), p99_ms: median(runs.map((r) => r.p99_ms)),
  non2xx: runs.reduce((a, r) => a + r.non2xx, 0), errors: runs.reduce((a, r) => a + r.errors, 0),
})

export async function run(): Promise<Record<string, unknown>> {
  const gateway = generateKeyPairSync('ed25519')
  // Signed once, valid for the whole run: the gateway's per-request signing is not measured here.
  const assertion = createAssertionSigner({ privateKey: gateway.privateKey, ttlSeconds: 3600 })
    .sign({ sub: 'user_bench', email: 'bench@example.com', role: 'user', sid: 'ses_bench' }, ['app', 'vault'])
  const headers = { 'content-type': 'application/json', [IDENTITY_HEADER]: assertion }
  const item = (): string => randomBytes((ITEM_BYTES * 3) / 4).toString('base64') // 1 KiB of text
  const vault = await child<{ url: string }>(resolve('test/bench/vault-server.mjs'), [], {
    BENCH_MASTER_KEY: randomBytes(32).toString('hex'),
    BENCH_IDENTITY_PUBLIC_KEY: gateway.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  })
  const echo = await child<{ url: string }>(resolve('test/bench/vault-echo.mjs'), [])
  const ceiling = await child<{ url: string }>(resolve('test/bench/vault-echo.mjs'), ['crypto'])
  const servers = { echo: echo.first.url, echo_crypto: ceiling.first.url, vault: vault.first.url }
  const runs: Record<string, Run[]> = {}
  try {
    for (const url of Object.values(servers)) {
      await check(url, headers, item())
      await roundTrips(url, headers, [item()], 2) // warm-up: JIT, verifier cache
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const n of BATCHES) {
        const batch = Array.from({ length: n }, item)
        for (const [name, url] of Object.entries(servers)) (runs[`${name}_x${n}`] ??= []).push(await roundTrips(url, headers, batch, SECONDS))
      }
    }
  } finally {
    for (const c of [vault, echo, ceiling]) c.proc.kill()
  }
  const inproc = (await child<{ cached: number[]; uncached: number[] }>(resolve('test/bench/vault-inprocess.ts'), ['2'])).first
  const http = Object.fromEntries(Object.entries(runs).map(([k, rs]) => [k, summarize(rs)]))
  const rate = (k: string): number => http[k]?.round_trips_per_s ?? NaN
  const ratio = rate('vault_x1') / rate('echo_x1')
  const inProcess = { key_cache: median(inproc.cached), no_key_cache: median(inproc.uncached) }
  const result = {
    benchmark: 'vault encrypt+decrypt round trips vs bare Fastify echo; in-process with and without key cache',
    settings: { seconds: SECONDS, connections: CONNECTIONS, rounds: ROUNDS, item_bytes: ITEM_BYTES, items_per_request: BATCHES, vault_log_level: 'warn', tool: 'autocannon: encrypt, then decrypt of its result, per connection' },
    http_round_trips_per_s: http,
    ratio,
    ratio_batch_10: rate('vault_x10') / rate('echo_x10'),
    target_ratio: 0.7,
    // Bare Fastify doing only the vault's AES-GCM: what Node's crypto alone leaves of the echo.
    crypto_ceiling_ratio: rate('echo_crypto_x1') / rate('echo_x1'),
    vault_over_crypto_ceiling: rate('vault_x1') / rate('echo_crypto_x1'),
    in_process_round_trips_per_s: inProcess,
    in_process_us_per_round_trip: { key_cache: 1e6 / inProcess.key_cache, no_key_cache: 1e6 / inProcess.no_key_cache },
    runs: { ...runs, in_process: inproc },
  }
  const file = writeResult('vault', result)
  const charts = [
    writeChart('vault', barChart('Vault: 1 KiB encrypt+decrypt round trips/s over HTTP (autocannon -c10)', 'items/s',
      Object.entries(http).map(([k, r]) => ({ label: `${labels[k.split('_x')[0] ?? ''] ?? k}, ${k.split('_x')[1]}/request`, value: r.round_trips_per_s })))),
    writeChart('vault-inprocess', barChart('Vault: 1 KiB encrypt+decrypt round trips/s in-process', 'round trips/s', [
      { label: 'derived-key cache', value: inProcess.key_cache },
      { label: 'no cache (HKDF every time)', value: inProcess.no_key_cache },
    ])),
  ]
  process.stdout.write(`vault: ${Object.entries(http).map(([k, r]) => `${k} ${r.round_trips_per_s.toFixed(0)} items/s (p99 ${r.p99_ms} ms)`).join('; ')}\n` +
    `  ratio ${ratio.toFixed(2)} (target >= 0.7), batches of 10: ${result.ratio_batch_10.toFixed(2)}; AES-GCM alone in bare Fastify: ${result.crypto_ceiling_ratio.toFixed(2)}; errors ${Object.entries(http).reduce((a, [, r]) => a + r.non2xx + r.errors, 0)}; ` +
    `in-process ${inProcess.key_cache.toFixed(0)}/s cached, ${inProcess.no_key_cache.toFixed(0)}/s uncached -> ${file}, ${charts.join(', ')}\n`)
  return result
}
