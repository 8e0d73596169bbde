import t from 'tap'
import { randomBytes } from 'node:crypto'
import { refusal, vaultHarness } from './harness.js'

const body = (blob: string): Buffer => Buffer.from(blob.split('.')[2] ?? '', 'base64url')
const withBody = (blob: string, bytes: Buffer): string => `${blob.split('.').slice(0, 2).join('.')}.${bytes.toString('base64url')}`

t.test('a flipped bit anywhere in nonce, ciphertext or tag fails, never 500', async (t) => {
  const h = await vaultHarness(t)
  const [blob = ''] = await h.encrypt('user_a', [{ plaintext: 'pay me', context: 'c' }])
  const bytes = body(blob)
  t.equal(bytes.length, 12 + 6 + 16)
  const codes = new Set<string>()
  for (let i = 0; i < bytes.length; i++) {
    for (let bit = 0; bit < 8; bit++) {
      const flipped = Buffer.from(bytes)
      flipped[i] = (flipped[i] ?? 0) ^ (1 << bit)
      const res = await h.post('/v1/decrypt', 'user_a', { items: [{ ciphertext: withBody(blob, flipped), context: 'c' }] })
      if (res.statusCode !== 422) t.fail(`byte ${i} bit ${bit}: ${res.statusCode}`)
      codes.add((res.json() as { code: string }).code)
    }
  }
  t.same([...codes], ['VAULT_DECRYPT_FAILED'], `all ${bytes.length * 8} flips refused with one code`)
})

t.test('a flipped bit in any character of the string is refused with a 4xx', async (t) => {
  const h = await vaultHarness(t, { versions: [1, 3] })
  const [blob = ''] = await h.encrypt('user_a', [{ plaintext: 'pay me', context: 'c' }])
  const seen: Record<string, number> = {}
  for (let i = 0; i < blob.length; i++) {
    for (let bit = 0; bit < 7; bit++) {
      const changed = blob.slice(0, i) + String.fromCharCode(blob.charCodeAt(i) ^ (1 << bit)) + blob.slice(i + 1)
      const res = await h.post('/v1/decrypt', 'user_a', { items: [{ ciphertext: changed, context: 'c' }] })
      const code = (res.json() as { code: string }).code
      seen[code] = (seen[code] ?? 0) + 1
      if (res.statusCode < 400 || res.statusCode >= 500) t.fail(`char ${i} bit ${bit} -> ${res.statusCode} ${code}`)
    }
  }
  t.ok((seen['VAULT_DECRYPT_FAILED'] ?? 0) > 0 && (seen['VAULT_MALFORMED_CIPHERTEXT'] ?? 0) > 0, JSON.stringify(seen))
  t.ok((seen['VAULT_UNKNOWN_KEY_VERSION'] ?? 0) > 0, 'a version digit flipped to an unheld version')
  // 1 -> 3 is a version this vault holds: the AAD and the key both differ, so it still fails.
  refusal(t, await h.post('/v1/decrypt', 'user_a', { items: [{ ciphertext: blob.replace('cv1.1.', 'cv1.3.'), context: 'c' }] }), 422, 'VAULT_DECRYPT_FAILED', 0)
})

t.test('malformed ciphertexts are refused as such', async (t) => {
  const h = await vaultHarness(t)
  const [blob = ''] = await h.encrypt('user_a', [{ plaintext: 'twenty-two bytes long!' }])
  const b64 = blob.split('.')[2] ?? ''
  const malformed = [
    '', 'cv1', 'cv1.', 'cv1..', `cv1..${b64}`, 'cv1.1', 'cv1.1.', `cv1.01.${b64}`, `cv1.0.${b64}`, `cv1.-1.${b64}`, `cv1.1e0.${b64}`,
    `cv1.+1.${b64}`, `cv1. 1.${b64}`, `cv1.9999999999.${b64}`, `cv1.${'9'.repeat(5000)}.${b64}`, `CV1.1.${b64}`, `cv2.1.${b64}`,
    ` ${blob}`, `${blob} `, `${blob}\n`, `${blob}=`, `${blob}.x`, `cv1.1.${b64.slice(0, 10)}+/${b64.slice(12)}`,
    `cv1.1.${Buffer.alloc(27).toString('base64url')}`, 'garbage', 'AAAA', 'not base64 at all!', '////', `${b64}`,
    Buffer.alloc(27, 7).toString('base64'), 'QUJD\nREVG', 'QUJDREVG=', 'QUJDREV=',
  ]
  for (const ciphertext of malformed) {
    const res = await h.post('/v1/decrypt', 'user_a', { items: [{ ciphertext }] })
    t.equal(res.statusCode, 400, `${JSON.stringify(ciphertext.slice(0, 40))} -> ${res.body.slice(0, 120)}`)
    t.equal((res.json() as { code: string }).code, 'VAULT_MALFORMED_CIPHERTEXT')
  }
  // Truncation that keeps a well-formed string reaches the tag check and fails there.
  for (const cut of [1, 4, 16]) {
    const res = await h.post('/v1/decrypt', 'user_a', { items: [{ ciphertext: withBody(blob, body(blob).subarray(0, -cut)) }] })
    refusal(t, res, 422, 'VAULT_DECRYPT_FAILED', 0)
  }
  // Trailing bits that decode to the same bytes would be a second spelling of one blob.
  const bytes = body(blob)
  if (bytes.length % 3 !== 0) {
    const last = b64.at(-1) ?? 'A'
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    const sibling = alphabet[alphabet.indexOf(last) ^ 1] ?? 'A'
    t.same(Buffer.from(b64.slice(0, -1) + sibling, 'base64url'), bytes, 'node would decode both alike')
    refusal(t, await h.post('/v1/decrypt', 'user_a', { items: [{ ciphertext: `cv1.1.${b64.slice(0, -1)}${sibling}` }] }), 400, 'VAULT_MALFORMED_CIPHERTEXT', 0)
  }
  refusal(t, await h.post('/v1/decrypt', 'user_a', { items: [{ ciphertext: randomBytes(60).toString('base64') }] }), 422, 'VAULT_DECRYPT_FAILED', 0)
})

t.test('an unknown key version is refused before any decryption is attempted', async (t) => {
  const h = await vaultHarness(t)
  const [blob = ''] = await h.encrypt('user_a', [{ plaintext: 'hello' }])
  const b64 = blob.split('.')[2] ?? ''
  // The same answer whether the rest is a real blob or not even base64: nothing past the
  // version was looked at.
  for (const ciphertext of [`cv1.2.${b64}`, 'cv1.2.', 'cv1.2.!!!not base64!!!', 'cv1.999999999.x', `cv1.7.${b64}=`]) {
    refusal(t, await h.post('/v1/decrypt', 'user_a', { items: [{ ciphertext }] }), 422, 'VAULT_UNKNOWN_KEY_VERSION', 0)
    refusal(t, await h.post('/v1/rewrap', 'user_a', { items: [{ ciphertext }] }), 422, 'VAULT_UNKNOWN_KEY_VERSION', 0)
  }
  t.equal((await h.keys()).cache.size, 1, 'no key was derived for the unknown versions')
})

t.test('wrong JSON types for ciphertext and context are 400', async (t) => {
  const h = await vaultHarness(t)
  for (const item of [{ ciphertext: 1 }, { ciphertext: null }, { ciphertext: ['cv1.1.x'] }, { ciphertext: { a: 1 } }, {}, { ciphertext: 'x', context: 5 }, { ciphertext: 'x', encoding: 'hex' }]) {
    refusal(t, await h.post('/v1/decrypt', 'user_a', { items: [item] }), 400, 'VALIDATION_FAILED', 0)
  }
})
