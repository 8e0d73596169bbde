import t from 'tap'
import { randomBytes } from 'node:crypto'
import { refusal, vaultHarness } from './harness.js'

t.test('UTF-8 and base64 plaintexts come back exactly', async (t) => {
  const h = await vaultHarness(t)
  const binary = randomBytes(1000)
  binary[0] = 0xff // not valid UTF-8
  const texts = ['hello', '', 'ünïcødé ✓ 😀 日本語', '\uFEFFstarts with a byte-order mark', 'x'.repeat(100_000)]
  const sealed = await h.encrypt('user_a', [
    ...texts.map((plaintext) => ({ plaintext, context: 'note:1' })),
    { plaintext: binary.toString('base64'), encoding: 'base64', context: 'file:9' },
  ])
  t.equal(sealed.length, texts.length + 1, 'one ciphertext per item, in order')
  for (const c of sealed) t.match(c, /^cv1\.1\.[A-Za-z0-9_-]+$/)
  const opened = await h.decrypt('user_a', [
    ...sealed.slice(0, texts.length).map((ciphertext) => ({ ciphertext, context: 'note:1' })),
    { ciphertext: sealed[texts.length], context: 'file:9', encoding: 'base64' },
  ])
  t.same(opened.slice(0, texts.length).map((o) => o.plaintext), texts)
  t.equal(opened[texts.length]?.plaintext, binary.toString('base64'))
  t.notOk(opened.some((o) => 'rewrapped' in o), 'current-version blobs need no rewrap')
})

t.test('each encryption draws a fresh nonce', async (t) => {
  const h = await vaultHarness(t)
  const [a, b] = await h.encrypt('user_a', [{ plaintext: 'same' }, { plaintext: 'same' }])
  t.not(a, b)
  t.equal(Buffer.from((a ?? '').split('.')[2] ?? '', 'base64url').length, 12 + 4 + 16, 'nonce + 4 bytes + tag')
})

t.test('the context is bound: a blob opens only with the context it was sealed with', async (t) => {
  const h = await vaultHarness(t)
  const [withCtx, noCtx] = await h.encrypt('user_a', [{ plaintext: 'secret', context: 'integration:1' }, { plaintext: 'secret' }])
  refusal(t, await h.post('/v1/decrypt', 'user_a', { items: [{ ciphertext: withCtx, context: 'integration:2' }] }), 422, 'VAULT_DECRYPT_FAILED', 0)
  refusal(t, await h.post('/v1/decrypt', 'user_a', { items: [{ ciphertext: withCtx }] }), 422, 'VAULT_DECRYPT_FAILED', 0)
  refusal(t, await h.post('/v1/decrypt', 'user_a', { items: [{ ciphertext: noCtx, context: 'integration:1' }] }), 422, 'VAULT_DECRYPT_FAILED', 0)
  t.same(await h.decrypt('user_a', [{ ciphertext: noCtx, context: '' }]), [{ plaintext: 'secret' }], 'absent and empty context are the same')
})

t.test('another user cannot decrypt, rewrap, or encrypt for someone else', async (t) => {
  const h = await vaultHarness(t)
  const [mine] = await h.encrypt('user_a', [{ plaintext: 'only for a', context: 'c' }])
  const tag = 'VAULT_DECRYPT_FAILED'
  const asB = refusal(t, await h.post('/v1/decrypt', 'user_b', { items: [{ ciphertext: mine, context: 'c' }] }), 422, tag, 0)
  const wrongCtx = refusal(t, await h.post('/v1/decrypt', 'user_a', { items: [{ ciphertext: mine, context: 'd' }] }), 422, tag, 0)
  t.equal(asB['error'], wrongCtx['error'], 'the message does not say which check failed')
  refusal(t, await h.post('/v1/rewrap', 'user_b', { items: [{ ciphertext: mine, context: 'c' }] }), 422, tag, 0)
  // A user id that differs only by a separator character in the AAD still gets nothing.
  refusal(t, await h.post('/v1/decrypt', 'user_a|c', { items: [{ ciphertext: mine }] }), 422, tag, 0)
  for (const field of ['user_id', 'userId', 'sub', 'user', 'owner']) {
    refusal(t, await h.post('/v1/encrypt', 'user_b', { items: [{ plaintext: 'x', [field]: 'user_a' }] }), 400, 'VALIDATION_FAILED', 0)
    refusal(t, await h.post('/v1/encrypt', 'user_b', { [field]: 'user_a', items: [{ plaintext: 'x' }] }), 400, 'VALIDATION_FAILED')
    refusal(t, await h.post('/v1/decrypt', 'user_b', { items: [{ ciphertext: mine, context: 'c', [field]: 'user_a' }] }), 400, 'VALIDATION_FAILED', 0)
  }
  t.same(await h.decrypt('user_a', [{ ciphertext: mine, context: 'c' }]), [{ plaintext: 'only for a' }], 'the owner still can')
})

t.test('plaintext encodings are checked, both ways', async (t) => {
  const h = await vaultHarness(t)
  for (const bad of ['abc', 'ab=c', 'YQ', 'YR==', 'Y Q==', '_-8=']) {
    refusal(t, await h.post('/v1/encrypt', 'user_a', { items: [{ plaintext: 'aGk=' , encoding: 'base64' }, { plaintext: bad, encoding: 'base64' }] }), 400, 'VAULT_INVALID_BASE64', 1)
  }
  refusal(t, await h.post('/v1/encrypt', 'user_a', { items: [{ plaintext: 'a\ud800b' }] }), 400, 'VAULT_INVALID_PLAINTEXT', 0)
  refusal(t, await h.post('/v1/encrypt', 'user_a', { items: [{ plaintext: 'x', encoding: 'latin1' }] }), 400, 'VALIDATION_FAILED', 0)
  const [bin] = await h.encrypt('user_a', [{ plaintext: Buffer.from([0xc3, 0x28]).toString('base64'), encoding: 'base64' }])
  refusal(t, await h.post('/v1/decrypt', 'user_a', { items: [{ ciphertext: bin }] }), 422, 'VAULT_NOT_UTF8', 0)
  t.same(await h.decrypt('user_a', [{ ciphertext: bin, encoding: 'base64' }]), [{ plaintext: 'wyg=' }])
  const [text] = await h.encrypt('user_a', [{ plaintext: 'hi ✓' }])
  t.same(await h.decrypt('user_a', [{ ciphertext: text, encoding: 'base64' }]), [{ plaintext: Buffer.from('hi ✓').toString('base64') }])
})

t.test('batches are all or nothing, and the error names the failing item', async (t) => {
  const h = await vaultHarness(t)
  const [good] = await h.encrypt('user_a', [{ plaintext: 'fine' }])
  const res = await h.post('/v1/decrypt', 'user_a', { items: [{ ciphertext: good }, { ciphertext: good }, { ciphertext: 'cv1.1.AAAA' }] })
  const body = refusal(t, res, 400, 'VAULT_MALFORMED_CIPHERTEXT', 2)
  t.notOk('items' in body, 'no partial results')
  t.same(await h.encrypt('user_a', []), [], 'an empty batch is an empty answer')
  const metrics = await h.app.metrics.registry.metrics()
  t.match(metrics, /vault_items_total\{op="encrypt",outcome="ok",service="vault"\} 1\n/, 'operators see items sealed')
  t.match(metrics, /vault_items_total\{op="decrypt",outcome="failed",service="vault"\} 3\n/, 'and the failed batch, whole')
})

t.test('a user id too long to derive a key from is refused, not a 500', async (t) => {
  const h = await vaultHarness(t)
  refusal(t, await h.post('/v1/encrypt', 'u'.repeat(600), { items: [{ plaintext: 'x' }] }), 400, 'VAULT_UNSUPPORTED_USER_ID', 0)
  t.equal((await h.encrypt('u'.repeat(512), [{ plaintext: 'x' }])).length, 1, '512 bytes is fine')
})

t.test('responses are never cacheable', async (t) => {
  const h = await vaultHarness(t)
  const res = await h.post('/v1/encrypt', 'user_a', { items: [{ plaintext: 'x' }] })
  t.equal(res.headers['cache-control'], 'no-store')
})
