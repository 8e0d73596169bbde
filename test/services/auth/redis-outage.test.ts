import t from 'tap'
import { Redis } from 'ioredis'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadAuthConfig } from '@claraverse/config'
import { createAssertionVerifier } from '@claraverse/identity'
import { createLogger } from '@claraverse/logging'
import { loadRevocations } from '@claraverse/bus'
import { buildApp } from '@claraverse/auth'
import { OwnedRedis } from '../../helpers/redis-server.js'
import { PASSWORD } from './harness.js'

t.test('a logout while Redis is down is recorded for the gateways once Redis is back', async (t) => {
  let redis: OwnedRedis
  try {
    redis = await OwnedRedis.start()
  } catch (err) {
    if (process.env['CI'] === 'true') throw err
    await t.skip(`no redis-server to own: ${(err as Error).message}`, () => {})
    return
  }
  t.teardown(() => redis.stop())
  const config = loadAuthConfig({
    ENVIRONMENT: 'test', DATA_DIR: mkdtempSync(join(tmpdir(), 'cv-auth-outage-')), REDIS_URL: redis.url,
    ARGON2_MEMORY_KIB: '8192', ARGON2_TIME_COST: '1',
  })
  const app = await buildApp(config, {
    logger: createLogger({ name: 'auth', level: 'silent' }),
    verifier: createAssertionVerifier({ audience: 'auth', publicKeys: [generateKeyPairSync('ed25519').publicKey] }),
  })
  t.teardown(() => app.close())
  const reg = (await app.inject({ method: 'POST', url: '/api/auth/register', payload: { email: 'ivan@example.com', password: PASSWORD } })).json()
  const sid = JSON.parse(Buffer.from(reg.access_token.split('.')[1], 'base64url').toString()).sid as string

  await redis.stop()
  const out = await app.inject({ method: 'POST', url: '/api/auth/logout', payload: { refresh_token: reg.refresh_token } })
  t.equal(out.statusCode, 200, 'the logout is acknowledged while Redis is down')
  await redis.start()

  const reader = new Redis(redis.url)
  t.teardown(() => reader.disconnect())
  const deadline = Date.now() + 10_000
  let found = false
  while (!found && Date.now() < deadline) {
    found = (await loadRevocations(reader)).some((e) => e.sid === sid)
    if (!found) await new Promise((r) => setTimeout(r, 50))
  }
  t.ok(found, 'the revocation is recorded in Redis after it comes back, where every gateway reads it')
})
