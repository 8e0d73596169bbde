import t from 'tap'
import { createCipheriv, hkdfSync, randomBytes } from 'node:crypto'
import { MASTER, refusal, vaultHarness } from './harness.js'

/** A blob as the ClaraVerse Go backend wrote it, built with node:crypto alone. */
function legacyBlob(masterHex: string, userId: string, plaintext: Buffer): string {
  const key = Buffer.from(hkdfSync('sha256', Buffer.from(masterHex, 'hex'), Buffer.from(userId), Buffer.from('claraverse-user-encryption'), 32))
  const nonce = randomBytes(12)
  const c = createCipheriv('aes-256-gcm', key, nonce)
  return Buffer.concat([nonce, c.update(plaintext), c.final(), c.getAuthTag()]).toString('base64')
}

t.test('after rotation, old blobs decrypt and come back rewrapped under the new key', async (t) => {
  const v1 = await vaultHarness(t, { versions: [1] })
  const [a = '', b = ''] = await v1.encrypt('user_a', [{ plaintext: 'token-a', context: 'integration:1' }, { plaintext: 'token-b', context: 'integration:2' }])
  t.match(a, /^cv1\.1\./)

  const v2 = await vaultHarness(t, { versions: [2, 1] })
  const opened = await v2.decrypt('user_a', [{ ciphertext: a, context: 'integration:1' }, { ciphertext: b, context: 'integration:2' }])
  t.same(opened.map((o) => o.plaintext), ['token-a', 'token-b'])
  const rewrapped = opened.map((o) => o.rewrapped ?? '')
  for (const r of rewrapped) t.match(r, /^cv1\.2\.[A-Za-z0-9_-]+$/)
  t.same(await v2.decrypt('user_a', [{ ciphertext: rewrapped[0], context: 'integration:1' }]), [{ plaintext: 'token-a' }], 'the rewrapped blob is current: no further rewrap')
  refusal(t, await v2.post('/v1/decrypt', 'user_a', { items: [{ ciphertext: rewrapped[0], context: 'integration:2' }] }), 422, 'VAULT_DECRYPT_FAILED', 0)
  refusal(t, await v2.post('/v1/decrypt', 'user_b', { items: [{ ciphertext: rewrapped[0], context: 'integration:1' }] }), 422, 'VAULT_DECRYPT_FAILED', 0)
  const [fresh = ''] = await v2.encrypt('user_a', [{ plaintext: 'new' }])
  t.match(fresh, /^cv1\.2\./, 'new blobs use the primary version')
  refusal(t, await v1.post('/v1/decrypt', 'user_a', { items: [{ ciphertext: fresh }] }), 422, 'VAULT_UNKNOWN_KEY_VERSION', 0)
})

t.test('rewrap moves blobs to the primary key and never returns plaintext', async (t) => {
  const v1 = await vaultHarness(t, { versions: [1] })
  const [old = ''] = await v1.encrypt('user_a', [{ plaintext: 'rotate me', context: 'k' }])
  const v2 = await vaultHarness(t, { versions: [2, 1] })
  const [current = ''] = await v2.encrypt('user_a', [{ plaintext: 'already new', context: 'k' }])
  const res = await v2.post('/v1/rewrap', 'user_a', { items: [{ ciphertext: old, context: 'k' }, { ciphertext: current, context: 'k' }] })
  t.equal(res.statusCode, 200)
  t.notMatch(res.body, 'rotate me')
  t.notMatch(res.body, 'plaintext')
  const items = (res.json() as { items: Array<Record<string, unknown>> }).items
  t.same(items.map((i) => Object.keys(i)), [['ciphertext'], ['ciphertext']])
  t.match(items[0]?.['ciphertext'], /^cv1\.2\./)
  t.not(items[0]?.['ciphertext'], old)
  t.equal(items[1]?.['ciphertext'], current, 'a blob already under the primary key is returned unchanged')
  t.same(await v2.decrypt('user_a', [{ ciphertext: items[0]?.['ciphertext'], context: 'k' }]), [{ plaintext: 'rotate me' }])
  refusal(t, await v2.post('/v1/rewrap', 'user_a', { items: [{ ciphertext: old, context: 'other' }] }), 422, 'VAULT_DECRYPT_FAILED', 0)
  refusal(t, await v2.post('/v1/rewrap', 'user_a', { items: [{ ciphertext: old, context: 'k', encoding: 'utf8' }] }), 400, 'VALIDATION_FAILED', 0)
})

t.test('a retired key version is refused', async (t) => {
  const v1 = await vaultHarness(t, { versions: [1] })
  const [old] = await v1.encrypt('user_a', [{ plaintext: 'gone' }])
  const v2 = await vaultHarness(t, { versions: [2, 1] })
  const [kept] = await v2.encrypt('user_a', [{ plaintext: 'kept' }])
  const retired = await vaultHarness(t, { versions: [3, 2] })
  refusal(t, await retired.post('/v1/decrypt', 'user_a', { items: [{ ciphertext: kept }, { ciphertext: old }] }), 422, 'VAULT_UNKNOWN_KEY_VERSION', 1)
  refusal(t, await retired.post('/v1/rewrap', 'user_a', { items: [{ ciphertext: old }] }), 422, 'VAULT_UNKNOWN_KEY_VERSION', 0)
  const [still] = await retired.decrypt('user_a', [{ ciphertext: kept }])
  t.equal(still?.plaintext, 'kept')
  t.match(still?.rewrapped, /^cv1\.3\./)
})

t.test('legacy blobs from the Go backend decrypt and come back in the current format', async (t) => {
  const h = await vaultHarness(t, { versions: [1] })
  const blob = legacyBlob(MASTER(1), 'user_a', Buffer.from('sk-legacy-api-key ✓'))
  const [opened] = await h.decrypt('user_a', [{ ciphertext: blob, context: 'integration:7' }])
  t.equal(opened?.plaintext, 'sk-legacy-api-key ✓')
  t.match(opened?.rewrapped, /^cv1\.1\./)
  t.same(await h.decrypt('user_a', [{ ciphertext: opened?.rewrapped, context: 'integration:7' }]), [{ plaintext: 'sk-legacy-api-key ✓' }],
    'rewrapped with the caller\'s context as AAD')
  refusal(t, await h.post('/v1/decrypt', 'user_a', { items: [{ ciphertext: opened?.rewrapped, context: '' }] }), 422, 'VAULT_DECRYPT_FAILED', 0)
  const [rewrapped = ''] = (await h.post('/v1/rewrap', 'user_a', { items: [{ ciphertext: blob, context: 'c' }] })).json<{ items: Array<{ ciphertext: string }> }>().items.map((i) => i.ciphertext)
  t.match(rewrapped, /^cv1\.1\./)

  const bin = randomBytes(64)
  const [binary] = await h.decrypt('user_a', [{ ciphertext: legacyBlob(MASTER(1), 'user_a', bin), encoding: 'base64' }])
  t.equal(binary?.plaintext, bin.toString('base64'))

  refusal(t, await h.post('/v1/decrypt', 'user_b', { items: [{ ciphertext: blob }] }), 422, 'VAULT_DECRYPT_FAILED', 0)
  refusal(t, await h.post('/v1/decrypt', 'user_a', { items: [{ ciphertext: legacyBlob(MASTER(9), 'user_a', Buffer.from('x')) }] }), 422, 'VAULT_DECRYPT_FAILED', 0)
  const tampered = Buffer.from(blob, 'base64')
  tampered[20] = (tampered[20] ?? 0) ^ 1
  refusal(t, await h.post('/v1/decrypt', 'user_a', { items: [{ ciphertext: tampered.toString('base64') }] }), 422, 'VAULT_DECRYPT_FAILED', 0)
})

t.test('legacy blobs made with a key that has since been rotated out of primary still import', async (t) => {
  const h = await vaultHarness(t, { versions: [2, 1] })
  const [opened] = await h.decrypt('user_a', [{ ciphertext: legacyBlob(MASTER(1), 'user_a', Buffer.from('older')) }])
  t.equal(opened?.plaintext, 'older')
  t.match(opened?.rewrapped, /^cv1\.2\./)
})

t.test('the derived-key cache changes nothing but speed, and stays bounded', async (t) => {
  const cached = await vaultHarness(t, { versions: [2, 1] })
  const uncached = await vaultHarness(t, { versions: [2, 1], env: { VAULT_KEY_CACHE_SIZE: '0' } })
  const small = await vaultHarness(t, { versions: [2, 1], env: { VAULT_KEY_CACHE_SIZE: '2' } })
  const v1 = await vaultHarness(t, { versions: [1] })
  const [old = ''] = await v1.encrypt('user_a', [{ plaintext: 'v1 text', context: 'c' }])
  const legacy = legacyBlob(MASTER(1), 'user_a', Buffer.from('legacy text'))
  for (const [from, to] of [[cached, uncached], [uncached, cached], [small, uncached], [uncached, small]] as const) {
    const [blob] = await from.encrypt('user_a', [{ plaintext: 'same either way', context: 'c' }])
    t.same(await to.decrypt('user_a', [{ ciphertext: blob, context: 'c' }]), [{ plaintext: 'same either way' }])
    const [o, l] = await to.decrypt('user_a', [{ ciphertext: old, context: 'c' }, { ciphertext: legacy, context: 'c' }])
    t.same([o?.plaintext, l?.plaintext], ['v1 text', 'legacy text'])
    t.same(await from.decrypt('user_a', [{ ciphertext: o?.rewrapped, context: 'c' }]), [{ plaintext: 'v1 text' }])
  }
  for (const u of ['u1', 'u2', 'u3', 'u4', 'u5']) await small.encrypt(u, [{ plaintext: 'x' }])
  t.same((await small.keys()).cache, { size: 2, max: 2 })
  t.same((await uncached.keys()).cache, { size: 0, max: 0 })
})

t.test('GET /v1/keys: versions for admins, 403 for users, never key material', async (t) => {
  const h = await vaultHarness(t, { versions: [3, 1, 2] })
  await h.encrypt('user_a', [{ plaintext: 'x' }])
  refusal(t, await h.app.inject({ url: '/v1/keys', headers: h.headers('user_a') }), 403, 'VAULT_ADMIN_REQUIRED')
  const res = await h.app.inject({ url: '/v1/keys', headers: h.headers('root', { role: 'admin' }) })
  t.equal(res.statusCode, 200)
  t.same(res.json(), {
    primary_version: 3,
    versions: [{ version: 3, primary: true }, { version: 2, primary: false }, { version: 1, primary: false }],
    legacy_import: true,
    cache: { size: 1, max: 10_000 },
  })
  for (const v of [1, 2, 3]) {
    const key = Buffer.from(MASTER(v), 'hex')
    for (const form of [key.toString('hex'), key.toString('hex').toUpperCase(), key.toString('base64'), key.toString('base64url')]) t.notMatch(res.body, form)
  }
  t.equal(res.headers['cache-control'], 'no-store')
})
