import t from 'tap'
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { createAssertionSigner, IDENTITY_HEADER } from '@claraverse/identity'
import { BODY_LIMIT, deriveUserKey, MAX_CIPHERTEXT_CHARS, MAX_ITEMS, MAX_PLAINTEXT_BYTES } from '@claraverse/vault'
import { gatewaySigner, MASTER, refusal, vaultHarness } from './harness.js'

const identity = { sub: 'user_a', email: 'a@example.com', role: 'user' as const, sid: 'ses_a' }

t.test('batch and item limits answer 413 with their own codes', async (t) => {
  const h = await vaultHarness(t)
  const many = Array.from({ length: MAX_ITEMS + 1 }, () => ({ plaintext: 'x' }))
  refusal(t, await h.post('/v1/encrypt', 'user_a', { items: many }), 413, 'VAULT_BATCH_TOO_LARGE')
  t.equal((await h.encrypt('user_a', many.slice(1))).length, MAX_ITEMS, 'exactly the maximum is fine')

  const ascii = 'a'.repeat(MAX_PLAINTEXT_BYTES)
  const [biggest = ''] = await h.encrypt('user_a', [{ plaintext: ascii }])
  t.ok(biggest.length <= MAX_CIPHERTEXT_CHARS, 'the largest ciphertext fits the decrypt limit')
  t.equal((await h.decrypt('user_a', [{ ciphertext: biggest }]))[0]?.plaintext, ascii)
  refusal(t, await h.post('/v1/encrypt', 'user_a', { items: [{ plaintext: 'ok' }, { plaintext: `${ascii}a` }] }), 413, 'VAULT_ITEM_TOO_LARGE', 1)
  refusal(t, await h.post('/v1/encrypt', 'user_a', { items: [{ plaintext: '日'.repeat(MAX_PLAINTEXT_BYTES / 3 + 1) }] }), 413, 'VAULT_ITEM_TOO_LARGE', 0)

  const bin = randomBytes(MAX_PLAINTEXT_BYTES)
  const [binBlob] = await h.encrypt('user_a', [{ plaintext: bin.toString('base64'), encoding: 'base64' }])
  t.equal((await h.decrypt('user_a', [{ ciphertext: binBlob, encoding: 'base64' }]))[0]?.plaintext, bin.toString('base64'))
  const over = randomBytes(MAX_PLAINTEXT_BYTES + 1).toString('base64')
  refusal(t, await h.post('/v1/encrypt', 'user_a', { items: [{ plaintext: over, encoding: 'base64' }] }), 413, 'VAULT_ITEM_TOO_LARGE', 0)
  refusal(t, await h.post('/v1/decrypt', 'user_a', { items: [{ ciphertext: `cv1.1.${'A'.repeat(MAX_CIPHERTEXT_CHARS)}` }] }), 413, 'VAULT_ITEM_TOO_LARGE', 0)
  refusal(t, await h.post('/v1/encrypt', 'user_a', { items: [{ plaintext: 'x', context: 'c'.repeat(1025) }] }), 400, 'VALIDATION_FAILED', 0)

  const chunk = 'b'.repeat(200 * 1024)
  const huge = Array.from({ length: Math.ceil(BODY_LIMIT / chunk.length) + 1 }, () => ({ plaintext: chunk }))
  refusal(t, await h.post('/v1/encrypt', 'user_a', { items: huge }), 413, 'PAYLOAD_TOO_LARGE')
})

t.test('every route needs a valid assertion for the vault', async (t) => {
  const h = await vaultHarness(t)
  const other = generateKeyPairSync('ed25519')
  const forged = createAssertionSigner({ privateKey: other.privateKey }).sign(identity, ['vault'])
  const expired = gatewaySigner({ now: () => Date.now() - 3_600_000 }).sign(identity, ['vault'])
  const good = h.headers('user_a')[IDENTITY_HEADER] ?? ''
  const [, payload = '', sig = ''] = good.split('.')
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>
  const retargeted = [good.split('.')[0], Buffer.from(JSON.stringify({ ...claims, sub: 'user_b' })).toString('base64url'), sig].join('.')
  const cases: Array<[string, Record<string, string>, string]> = [
    ['missing', {}, 'IDENTITY_REQUIRED'],
    ['garbage', { [IDENTITY_HEADER]: 'not-a-jwt' }, 'IDENTITY_INVALID'],
    ['signed by another key', { [IDENTITY_HEADER]: forged }, 'IDENTITY_INVALID'],
    ['expired', { [IDENTITY_HEADER]: expired }, 'IDENTITY_INVALID'],
    ['sub changed after signing', { [IDENTITY_HEADER]: retargeted }, 'IDENTITY_INVALID'],
    ['audience without vault', h.headers('user_a', { audience: ['app'] }), 'IDENTITY_INVALID'],
    ['audience of the auth service', h.headers('user_a', { audience: ['auth'] }), 'IDENTITY_INVALID'],
    ['x-user-id instead of an assertion', { 'x-user-id': 'user_a' }, 'IDENTITY_REQUIRED'],
  ]
  const routes = [
    { method: 'POST' as const, url: '/v1/encrypt', payload: { items: [{ plaintext: 'x' }] } },
    { method: 'POST' as const, url: '/v1/decrypt', payload: { items: [] } },
    { method: 'POST' as const, url: '/v1/rewrap', payload: { items: [] } },
    { method: 'GET' as const, url: '/v1/keys' },
  ]
  for (const [name, headers, code] of cases) {
    for (const r of routes) {
      const res = await h.app.inject({ ...r, headers })
      t.equal(res.statusCode, 401, `${name}: ${r.url}`)
      t.equal((res.json() as { code: string }).code, code)
    }
  }
  t.equal((await h.app.inject({ url: '/health' })).statusCode, 200, 'probes need no assertion')
})

t.test('a remembered assertion stops working when it expires', async (t) => {
  const h = await vaultHarness(t)
  // Signed 59 s ago with the 60 s lifetime: valid for one more second.
  const token = gatewaySigner({ now: () => Date.now() - 59_000 }).sign(identity, ['vault'])
  const call = () => h.app.inject({ method: 'POST', url: '/v1/encrypt', headers: { [IDENTITY_HEADER]: token }, payload: { items: [{ plaintext: 'x' }] } })
  t.equal((await call()).statusCode, 200)
  t.equal((await call()).statusCode, 200, 'served again from the verified-assertion cache')
  await new Promise((r) => setTimeout(r, 1100))
  const late = await call()
  t.equal(late.statusCode, 401, 'refused after exp, though it was cached')
  t.equal((late.json() as { code: string }).code, 'IDENTITY_INVALID')
})

t.test('malformed requests are 4xx, never 500', async (t) => {
  const h = await vaultHarness(t)
  const headers = { ...h.headers('user_a'), 'content-type': 'application/json' }
  const raw: Array<[string, number, string]> = [
    ['{"items": [', 400, 'INVALID_JSON'],
    ['not json', 400, 'INVALID_JSON'],
    ['', 400, 'VALIDATION_FAILED'],
    ['null', 400, 'VALIDATION_FAILED'],
    ['[]', 400, 'VALIDATION_FAILED'],
    ['{}', 400, 'VALIDATION_FAILED'],
    ['{"items": "x"}', 400, 'VALIDATION_FAILED'],
    ['{"items": [1]}', 400, 'VALIDATION_FAILED'],
    ['{"items": [null]}', 400, 'VALIDATION_FAILED'],
    ['{"items": [{"plaintext": 42}]}', 400, 'VALIDATION_FAILED'],
    ['{"items": [{"plaintext": "x", "encoding": null}]}', 400, 'VALIDATION_FAILED'],
    ['{"__proto__": {"admin": true}, "items": []}', 400, 'FORBIDDEN_KEY'],
    ['{"items": [{"plaintext": "x", "__proto__": {"context": "y"}}]}', 400, 'FORBIDDEN_KEY'],
    ['{"items": [], "constructor": {"prototype": {"x": 1}}}', 400, 'FORBIDDEN_KEY'],
  ]
  for (const url of ['/v1/encrypt', '/v1/decrypt', '/v1/rewrap']) {
    for (const [payload, status, code] of raw) {
      const res = await h.app.inject({ method: 'POST', url, headers, payload })
      t.equal(res.statusCode, status, `${url} ${payload}: ${res.body.slice(0, 100)}`)
      t.equal((res.json() as { code: string }).code, code)
    }
  }
  const text = await h.app.inject({ method: 'POST', url: '/v1/encrypt', headers: { ...headers, 'content-type': 'text/plain' }, payload: 'hello' })
  t.equal(text.statusCode, 400, 'a text body is not an object')
  const noBody = await h.app.inject({ method: 'POST', url: '/v1/encrypt', headers: h.headers('user_a') })
  t.equal(noBody.statusCode, 400)
  const wrongMethod = await h.app.inject({ method: 'GET', url: '/v1/encrypt', headers: h.headers('user_a') })
  t.equal(wrongMethod.statusCode, 404)
  t.equal(({} as Record<string, unknown>)['admin'], undefined, 'no prototype was polluted')
})

t.test('no plaintext, ciphertext or key material reaches the log, even at trace level', async (t) => {
  const h = await vaultHarness(t, { logLevel: 'trace', versions: [2, 1] })
  const secret = `PLAINTEXT-${randomBytes(8).toString('hex')}`
  const [blob = ''] = await h.encrypt('user_a', [{ plaintext: secret, context: 'ctx' }])
  const opened = await h.decrypt('user_a', [{ ciphertext: blob, context: 'ctx' }])
  t.equal(opened[0]?.plaintext, secret)
  await h.post('/v1/rewrap', 'user_a', { items: [{ ciphertext: blob, context: 'ctx' }] })
  await h.post('/v1/decrypt', 'user_a', { items: [{ ciphertext: blob, context: 'wrong' }] })
  await h.post('/v1/decrypt', 'user_b', { items: [{ ciphertext: blob, context: 'ctx' }] })
  await h.post('/v1/encrypt', 'user_a', { items: [{ plaintext: secret, encoding: 'base64' }] })
  await h.post('/v1/encrypt', 'user_a', { items: [{ plaintext: secret, context: 5 }] })
  await h.post('/v1/encrypt', 'user_a', { items: [{ plaintext: `${secret}\ud800` }] })
  await h.app.inject({ url: '/v1/keys', headers: h.headers('root', { role: 'admin' }) })
  await h.app.close()
  const log = h.logs.text()
  t.ok(log.includes('request completed') && log.includes('request refused'), 'the capture did see the requests')
  const needles = [secret, blob, blob.split('.')[2] ?? '', Buffer.from(secret).toString('base64'), h.headers('user_a')[IDENTITY_HEADER] ?? '']
  for (const v of [1, 2]) {
    const master = Buffer.from(MASTER(v), 'hex')
    needles.push(master.toString('hex'), master.toString('base64'), deriveUserKey(master, 'user_a').toString('hex'), deriveUserKey(master, 'user_a').toString('base64'))
  }
  for (const n of needles) t.notOk(log.includes(n.slice(0, 24)), `absent from the log: ${n.slice(0, 12)}…`)
})
