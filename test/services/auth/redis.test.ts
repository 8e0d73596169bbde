import t from 'tap'
import { Redis } from 'ioredis'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadAuthConfig } from '@claraverse/config'
import { createAssertionVerifier } from '@claraverse/identity'
import { createLogger } from '@claraverse/logging'
import { createRedisBus, loadRevocations, type RevokedEvent } from '@claraverse/bus'
import { buildApp } from '@claraverse/auth'
import { needServer, REDIS_URL } from '../../helpers/servers.js'
import { PASSWORD } from './harness.js'

t.test('with Redis: revocations are published and recorded, failures counted there', async (t) => {
  if (!(await needServer(t, 'Redis', REDIS_URL))) return
  // A database of its own, so parallel suites do not see each other's keys.
  const url = `${REDIS_URL.replace(/\/\d*$/, '')}/9`
  const redis = new Redis(url)
  t.teardown(() => redis.disconnect())
  await redis.flushdb()
  const dataDir = mkdtempSync(join(tmpdir(), 'cv-auth-redis-'))
  const config = loadAuthConfig({ ENVIRONMENT: 'test', DATA_DIR: dataDir, REDIS_URL: url, ARGON2_MEMORY_KIB: '8192', ARGON2_TIME_COST: '1', JWT_ACCESS_TOKEN_EXPIRY: '5m' })
  const app = await buildApp(config, {
    logger: createLogger({ name: 'auth', level: 'silent' }),
    verifier: createAssertionVerifier({ audience: 'auth', publicKeys: [generateKeyPairSync('ed25519').publicKey] }),
  })
  t.teardown(() => app.close())
  // Another process's view of the bus: what a gateway would hear.
  const listener = createRedisBus(url, createLogger({ name: 'l', level: 'silent' }))
  t.teardown(() => listener.close())
  const heard: RevokedEvent[] = []
  await listener.subscribe('auth.revoked', (e) => { heard.push(e) })
  await new Promise((r) => setTimeout(r, 100))

  const reg = (await app.inject({ method: 'POST', url: '/api/auth/register', payload: { email: 'olga@example.com', password: PASSWORD } })).json()
  await app.inject({ method: 'POST', url: '/api/auth/logout', cookies: { refresh_token: reg.refresh_token } })
  const sid = JSON.parse(Buffer.from(reg.access_token.split('.')[1], 'base64url').toString()).sid
  for (let i = 0; i < 50 && heard.length === 0; i++) await new Promise((r) => setTimeout(r, 20))
  t.match(heard, [{ sid, not_before: Number }], 'a gateway in another process hears the revocation')
  const recorded = await loadRevocations(redis)
  t.match(recorded, [{ sid, not_before: heard[0]?.not_before }], 'and a gateway starting later finds it')
  const ttl = await redis.ttl(`revoked:sid:${sid}`)
  t.ok(ttl > 300 && ttl <= 360, `kept as long as an access token lives (ttl ${ttl}s)`)

  for (let i = 0; i < 6; i++) await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'olga@example.com', password: 'wrong password!' } })
  t.equal(await redis.hget('loginfail:acct:olga@example.com', 'count'), '6', 'failures are counted in Redis, shared by all auth replicas')
  const locked = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'olga@example.com', password: PASSWORD } })
  t.equal(locked.statusCode, 429)
  t.ok(Number(await redis.hget('loginfail:acct:olga@example.com', 'until')) > Date.now(), 'the lock lives in Redis too')
  const burst = await Promise.all(Array.from({ length: 10 }, () => app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'olga@example.com', password: 'wrong password!' } })))
  t.same([...new Set(burst.map((r) => r.statusCode))], [429], 'a concurrent burst against a locked account is refused whole')
  t.ok((await app.inject({ url: '/ready' })).json().checks.redis === 'ok')
})
