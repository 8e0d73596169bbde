import t from 'tap'
import { generateKeyPairSync, createPublicKey } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { Redis } from 'ioredis'
import { main, parseEnvFile } from '@claraverse/cli'
import { loadAuthConfig, loadVaultConfig, parsePrivateKey, parsePublicKey, type Env } from '@claraverse/config'
import { createAssertionVerifier } from '@claraverse/identity'
import { createLogger } from '@claraverse/logging'
import { buildApp as buildAuth } from '@claraverse/auth'
import { buildApp as buildVault } from '@claraverse/vault'
import { openStore } from '@claraverse/store'
import { needServer, REDIS_URL } from '../helpers/servers.js'
import { spawnNode } from '../helpers/spawn.js'

async function run(argv: string[], env: Env = {}): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const code = await main(argv, { out: (s) => { out += s }, err: (s) => { err += s }, env })
  return { code, out, err }
}

t.test('secrets prints usable production secrets, and doctor accepts an environment built from them', async (t) => {
  const { code, out } = await run(['secrets'])
  t.equal(code, 0)
  const env = parseEnvFile(out)
  t.match(env['JWT_SECRET'], /^[0-9a-f]{128}$/)
  t.match(env['ENCRYPTION_MASTER_KEY'], /^[0-9a-f]{64}$/)
  const priv = parsePrivateKey(env['IDENTITY_SIGNING_KEY']!)
  t.same(createPublicKey(priv).export({ format: 'jwk' }), parsePublicKey(env['IDENTITY_PUBLIC_KEY']!).export({ format: 'jwk' }), 'the two keys are a pair')
  t.not((await run(['secrets'])).out, out, 'fresh every time')
  const file = join(mkdtempSync(join(tmpdir(), 'cv-cli-')), 'prod.env')
  writeFileSync(file, `# production\n${out}ALLOWED_ORIGINS=https://chat.example.com\nMONGODB_URI=mongodb://mongo:27017\nREDIS_URL="redis://claraverse-redis:6379"\n`)
  const ok = await run(['doctor', '--env-file', file])
  t.equal(ok.code, 0, ok.out)
  t.match(ok.out, /All services would start in production/)
  t.notMatch(ok.out, new RegExp(env['JWT_SECRET']!), 'secrets are never printed back')
})

t.test('doctor reports every problem of every service at once', async (t) => {
  const { code, out } = await run(['doctor'], { ALLOWED_ORIGINS: '*', JWT_SECRET: 'short' })
  t.equal(code, 1)
  for (const line of [/FAIL {2}gateway: JWT_SECRET must be at least 64 hex/, /FAIL {2}gateway: ALLOWED_ORIGINS must not contain \*/, /FAIL {2}vault: ENCRYPTION_MASTER_KEY is required/, /FAIL {2}app: MONGODB_URI is required/, /FAIL {2}auth: REDIS_URL is required/]) t.match(out, line)
  t.match(out, /4 of 4 services would refuse to start/)
  t.equal((await run(['doctor', '--env-file'])).code, 1)
})

t.test('help, usage errors and unknown commands', async (t) => {
  for (const cmd of ['start', 'secrets', 'doctor', 'ratelimit', 'user', 'vault']) {
    const r = await run([cmd, '--help'])
    t.equal(r.code, 0, `${cmd} --help`)
    t.match(r.out, new RegExp(`^Usage: claraverse ${cmd}`), cmd)
  }
  const bad = await run(['ratelimit', 'wipe'])
  t.equal(bad.code, 64)
  t.match(bad.err, /expected: ratelimit clear <key>/)
  t.match(bad.err, /Usage: claraverse ratelimit/)
  t.equal((await run(['ratelimit', 'clear', '*'])).code, 64, 'no patterns')
  t.match((await run(['ratelimit', 'clear', 'user_x'])).err, /REDIS_URL is not set/)
  t.equal((await run(['user', 'promote', 'not-an-email'])).code, 64)
  t.equal((await run(['nope'])).code, 64)
  t.match((await run([])).out, /Commands:/)
  const spawned = spawnNode(resolve('packages/cli/dist/bin.js'), ['vault', 'keys'], { PATH: process.env['PATH'] })
  t.equal(await spawned.exited, 1, 'the real binary exits non-zero')
  t.match(spawned.stderr(), /^claraverse vault: VAULT_URL is not set/)
})

t.test('ratelimit clear deletes the key every gateway reads', async (t) => {
  if (!(await needServer(t, 'Redis', REDIS_URL))) return
  const url = `${REDIS_URL.replace(/\/\d*$/, '')}/11`
  const redis = new Redis(url)
  t.teardown(() => redis.disconnect())
  await redis.set('ratelimit:user_cli', '99', 'EX', 60)
  const r = await run(['ratelimit', 'clear', 'user_cli'], { REDIS_URL: url })
  t.equal(r.code, 0)
  t.equal(r.out, 'cleared ratelimit:user_cli\n')
  t.equal(await redis.exists('ratelimit:user_cli'), 0)
  t.match((await run(['ratelimit', 'clear', 'auth:203.0.113.7'], { REDIS_URL: url })).out, /had no active limit/)
  const down = await run(['ratelimit', 'clear', 'user_cli'], { REDIS_URL: 'redis://127.0.0.1:1' })
  t.equal(down.code, 1)
  t.match(down.err, /could not reach Redis/)
})

t.test('user promote makes an admin on the auth store', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cv-cli-'))
  const env: Env = { ENVIRONMENT: 'test', DATA_DIR: dataDir, ARGON2_MEMORY_KIB: '8192', ARGON2_TIME_COST: '1' }
  const store = await openStore({ service: 'auth', dataDir })
  const auth = await buildAuth(loadAuthConfig(env), {
    logger: createLogger({ name: 'auth', level: 'silent' }), store, redis: null,
    verifier: createAssertionVerifier({ audience: 'auth', publicKeys: [generateKeyPairSync('ed25519').publicKey] }),
  })
  t.teardown(async () => { await auth.close(); await store.close() })
  for (const email of ['first@example.com', 'Second@Example.com']) {
    await auth.inject({ method: 'POST', url: '/api/auth/register', payload: { email, password: 'a sturdy passphrase' } })
  }
  const r = await run(['user', 'promote', 'SECOND@example.com'], env)
  t.equal(r.code, 0, r.err)
  t.match(r.out, /second@example.com \(user_.+\) is now an admin/)
  t.match(r.out, /REDIS_URL is not set/, 'says what it could not do')
  const users = await store.collection<{ _id: string; email: string; role: string }>('users')
  t.equal((await users.findOne({ email: 'second@example.com' }))?.role, 'admin')
  const audit = await store.collection('audit')
  t.equal(await audit.count({ type: 'admin.user_updated', actor_id: 'ops_cli' }), 1)
  t.match((await run(['user', 'promote', 'second@example.com'], env)).out, /already an admin/)
  const missing = await run(['user', 'promote', 'ghost@example.com'], env)
  t.equal(missing.code, 1)
  t.match(missing.err, /no account with the email ghost@example.com/)
})

t.test('vault keys asks the running vault with a minted admin assertion', async (t) => {
  const keys = generateKeyPairSync('ed25519')
  const vault = await buildVault(loadVaultConfig({ ENVIRONMENT: 'test', DATA_DIR: mkdtempSync(join(tmpdir(), 'cv-cli-')) }), {
    logger: createLogger({ name: 'vault', level: 'silent' }),
    verifier: createAssertionVerifier({ audience: 'vault', publicKeys: [keys.publicKey] }),
  })
  const url = await vault.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => vault.close())
  const signing = keys.privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64')
  const r = await run(['vault', 'keys'], { VAULT_URL: url, IDENTITY_SIGNING_KEY: signing })
  t.equal(r.code, 0, r.err)
  t.match(JSON.parse(r.out), { primary_version: 1 })
  const wrongKey = generateKeyPairSync('ed25519').privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64')
  const refused = await run(['vault', 'keys'], { VAULT_URL: url, IDENTITY_SIGNING_KEY: wrongKey })
  t.equal(refused.code, 1)
  t.match(refused.err, /the vault answered 401/)
})
