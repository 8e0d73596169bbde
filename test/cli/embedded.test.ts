import t from 'tap'
import { mkdtempSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { cleanEnv, spawnNode } from '../helpers/spawn.js'

const bin = resolve('packages/cli/dist/bin.js')

t.test('npm start runs all four services with no Redis or MongoDB, and stops cleanly on SIGTERM', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cv-embedded-'))
  // Port 0 for the gateway too: the test must not depend on 3001 being free.
  const proc = spawnNode(bin, ['start'], cleanEnv({ PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'warn' }))
  t.teardown(() => { proc.child.kill('SIGKILL') })
  const [, gatewayUrl] = await proc.waitFor(/running at (http:\/\/127\.0\.0\.1:\d+)/)
  const services = await proc.waitFor(/auth {2}(\S+)\n {2}vault (\S+)\n {2}app {3}(\S+)/)
  const urls = { gateway: gatewayUrl!, auth: services[1]!, vault: services[2]!, app: services[3]! }
  for (const [name, url] of Object.entries(urls)) {
    t.match(url, /^http:\/\/127\.0\.0\.1:\d+$/, `${name} listens on loopback`)
    const res = await fetch(`${url}/health`)
    t.equal(res.status, 200, `${name} answers /health`)
    t.same(await res.json(), { status: 'ok', service: name })
  }
  t.equal(new Set(Object.values(urls)).size, 4, 'each on its own port')
  const jwks = await (await fetch(`${urls.gateway}/.well-known/jwks.json`)).json() as { keys: unknown[] }
  t.equal(jwks.keys.length, 1, 'the gateway publishes its identity key')
  const internal = await fetch(`${urls.auth}/api/auth/me`)
  t.equal(internal.status, 401, 'a service refuses a caller without the gateway assertion')
  t.same(readdirSync(join(dataDir, 'secrets')).sort(), ['ENCRYPTION_MASTER_KEY', 'IDENTITY_SIGNING_KEY', 'JWT_SECRET'])

  // The whole path through the gateway: register, use the token, log out, and the token dies at once.
  const json = { 'content-type': 'application/json' }
  const reg = await fetch(`${urls.gateway}/api/auth/register`, { method: 'POST', headers: json, body: JSON.stringify({ email: 'owner@example.com', password: 'a sturdy passphrase' }) })
  t.equal(reg.status, 201)
  const { access_token: token, user } = await reg.json() as { access_token: string; user: { role: string } }
  t.equal(user.role, 'admin')
  const me = await fetch(`${urls.gateway}/api/auth/me`, { headers: { authorization: `Bearer ${token}` } })
  t.equal(me.status, 200)
  const out = await fetch(`${urls.gateway}/api/auth/logout`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })
  t.equal(out.status, 200)
  let after = 0
  for (let i = 0; i < 20 && after !== 401; i++) {
    after = (await fetch(`${urls.gateway}/api/auth/me`, { headers: { authorization: `Bearer ${token}` } })).status
    if (after !== 401) await new Promise((r) => setTimeout(r, 25))
  }
  t.equal(after, 401, 'the gateway heard auth\'s revocation over the in-process bus')

  proc.child.kill('SIGTERM')
  t.equal(await proc.exited, 0, 'exit code 0 after SIGTERM')
  t.match(proc.stdout(), /SIGTERM received, stopping/)
  await t.rejects(fetch(`${urls.gateway}/health`), 'nothing listens afterwards')
})

t.test('a production start with missing settings refuses and names every problem', async (t) => {
  const proc = spawnNode(bin, ['start'], cleanEnv({ ENVIRONMENT: 'production', PORT: '0', DATA_DIR: mkdtempSync(join(tmpdir(), 'cv-embedded-')) }))
  t.equal(await proc.exited, 78)
  for (const name of ['JWT_SECRET', 'ALLOWED_ORIGINS', 'REDIS_URL', 'IDENTITY_SIGNING_KEY']) t.match(proc.stderr(), name)
  t.notMatch(proc.stderr(), /at .*\.js:\d+/, 'a message for a human, not a stack trace')
})

t.test('unknown commands are refused with usage', async (t) => {
  const proc = spawnNode(bin, ['launch'], cleanEnv({}))
  t.equal(await proc.exited, 64)
  t.match(proc.stderr(), /unknown command "launch"/)
  t.match(proc.stderr(), /Usage: claraverse/)
})
