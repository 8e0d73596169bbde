// Child of the auth benchmark: the auth service on a fresh embedded store, BENCH_USERS registered
// users (bench0@example.com, …): one per connection, since the login throttle counts the attempts
// in flight per account and would refuse a sixth concurrent login to one account.
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPairSync } from 'node:crypto'
import { loadAuthConfig } from '@claraverse/config'
import { createAssertionVerifier } from '@claraverse/identity'
import { createLogger } from '@claraverse/logging'
import { buildApp } from '@claraverse/auth'

const app = await buildApp(loadAuthConfig({ ENVIRONMENT: 'test', DATA_DIR: mkdtempSync(join(tmpdir(), 'cv-bench-auth-')) }), {
  logger: createLogger({ name: 'auth', level: 'warn' }),
  verifier: createAssertionVerifier({ audience: 'auth', publicKeys: [generateKeyPairSync('ed25519').publicKey] }),
  redis: null,
})
const url = await app.listen({ host: '127.0.0.1', port: 0 })
for (let i = 0; i < Number(process.env['BENCH_USERS'] ?? 1); i++) {
  const res = await app.inject({ method: 'POST', url: '/api/auth/register', payload: { email: `bench${i}@example.com`, password: process.env['BENCH_PASSWORD'] } })
  if (res.statusCode !== 201) throw new Error(`register: ${res.statusCode} ${res.body}`)
}
const delay = monitorEventLoopDelay({ resolution: 10 })
process.send?.({ url })
process.on('message', (m: string) => {
  if (m === 'start') { delay.reset(); delay.enable() }
  if (m === 'stop') {
    delay.disable()
    process.send?.({ p99_ms: delay.percentile(99) / 1e6, max_ms: delay.max / 1e6 })
    void app.close().then(() => process.exit(0))
  }
})
