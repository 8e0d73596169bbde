import t from 'tap'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { IDENTITY_HEADER } from '@claraverse/identity'
import { cleanEnv, spawnNode } from '../../helpers/spawn.js'
import { gatewayPublicPem, gatewaySigner, MASTER } from './harness.js'

// The built launcher, as `claraverse-vault` runs it: `npm test` builds first.
const server = 'services/vault/dist/server.js'
const production = (extra: Record<string, string>): Record<string, string | undefined> =>
  cleanEnv({ ENVIRONMENT: 'production', DATA_DIR: mkdtempSync(join(tmpdir(), 'cv-vault-srv-')), IDENTITY_PUBLIC_KEY: gatewayPublicPem, PORT: '0', ...extra })

t.test('production refuses to start without a usable ENCRYPTION_MASTER_KEY', async (t) => {
  const nearMiss = MASTER(1).slice(0, 63)
  const cases: Array<[string, Record<string, string>, RegExp]> = [
    ['missing', {}, /ENCRYPTION_MASTER_KEY is required in production/],
    ['63 hex characters', { ENCRYPTION_MASTER_KEY: nearMiss }, /ENCRYPTION_MASTER_KEY must be exactly 64 hex characters/],
    ['not hex', { ENCRYPTION_MASTER_KEY: 'z'.repeat(64) }, /ENCRYPTION_MASTER_KEY must be exactly 64 hex characters/],
    ['a malformed previous key', { ENCRYPTION_MASTER_KEY: MASTER(2), ENCRYPTION_KEY_VERSION: '2', ENCRYPTION_MASTER_KEYS_PREVIOUS: `1:${nearMiss}` }, /ENCRYPTION_MASTER_KEYS_PREVIOUS/],
  ]
  for (const [name, env, message] of cases) {
    const proc = spawnNode(server, [], production(env))
    t.equal(await proc.exited, 78, `${name}: exits with EX_CONFIG`)
    t.match(proc.stderr(), message, name)
    t.notMatch(proc.stderr(), /\n\s+at /, 'a message, not a stack trace')
    t.notMatch(proc.stderr(), nearMiss, 'the rejected value is not echoed')
    t.equal(proc.stdout(), '', 'nothing started')
  }
})

t.test('with its keys, the production server serves over real HTTP and stops on SIGTERM', async (t) => {
  const proc = spawnNode(server, [], production({ ENCRYPTION_MASTER_KEY: MASTER(1), LOG_LEVEL: 'info' }))
  t.teardown(() => { proc.child.kill('SIGKILL') })
  const [, url] = await proc.waitFor(/Server listening at (http:\/\/127\.0\.0\.1:\d+)/)
  const assertion = gatewaySigner({}).sign({ sub: 'user_a', email: 'a@example.com', role: 'user', sid: 'ses_a' }, ['vault'])
  const call = (path: string, body: unknown): Promise<Response> => fetch(`${url}${path}`, {
    method: 'POST', headers: { 'content-type': 'application/json', [IDENTITY_HEADER]: assertion }, body: JSON.stringify(body),
  })
  const sealed = await call('/v1/encrypt', { items: [{ plaintext: 'over the wire', context: 'c' }] })
  t.equal(sealed.status, 200)
  const { items } = await sealed.json() as { items: Array<{ ciphertext: string }> }
  const opened = await call('/v1/decrypt', { items: [{ ciphertext: items[0]?.ciphertext, context: 'c' }] })
  t.same(await opened.json(), { items: [{ plaintext: 'over the wire' }] })
  t.equal((await call('/v1/decrypt', { items: [] }).then((r) => r.status)), 200)
  t.equal((await fetch(`${url}/v1/encrypt`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"items":[]}' })).status, 401)
  proc.child.kill('SIGTERM')
  t.equal(await proc.exited, 0, 'graceful shutdown')
  t.notMatch(proc.stdout(), 'over the wire')
  t.notMatch(proc.stdout(), MASTER(1))
})
