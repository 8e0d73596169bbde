import t from 'tap'
import { readFileSync } from 'node:fs'
import { createDecipheriv } from 'node:crypto'
import { additionalData, deriveLegacyKey, deriveUserKey, encryptWithNonce } from '@claraverse/vault'
import { compute, currentInputs, document, legacyInputs, reference, VECTORS_FILE, type CurrentVector, type LegacyVector } from './vectors.js'
import { vaultHarness } from './harness.js'

const published = JSON.parse(readFileSync(VECTORS_FILE, 'utf8')) as { current: CurrentVector[]; legacy: LegacyVector[] }

t.test('the published file is exactly what the vault computes', async (t) => {
  t.same(published, JSON.parse(JSON.stringify(document())))
  t.equal(published.current.length, currentInputs.length)
  t.equal(published.legacy.length, legacyInputs.length)
  t.ok(published.current.length >= 4)
})

t.test('each vector, recomputed by the vault and by an independent node:crypto reference', async (t) => {
  for (const v of published.current) {
    const master = Buffer.from(v.master_key_hex, 'hex')
    const nonce = Buffer.from(v.nonce_hex, 'hex')
    const plaintext = Buffer.from(v.plaintext_hex, 'hex')
    const key = deriveUserKey(master, v.user_id)
    t.equal(key.toString('hex'), v.derived_key_hex, `${v.name}: derived key`)
    t.equal(encryptWithNonce(key, v.key_version, v.user_id, v.context, plaintext, nonce), v.ciphertext, `${v.name}: ciphertext`)
    t.equal(additionalData(v.key_version, v.user_id, v.context).toString('utf8'), v.aad_utf8)

    // The reference knows the spec, not the code: info string, AAD layout and encoding written out.
    const ref = reference(master, v.user_id, `claraverse/vault/v1/user:${v.user_id}`, nonce, plaintext, `cv1|${v.key_version}|${v.user_id}|${v.context}`)
    t.equal(ref.key.toString('hex'), v.derived_key_hex, `${v.name}: reference key`)
    t.equal(`cv1.${v.key_version}.${ref.sealed.toString('base64url')}`, v.ciphertext, `${v.name}: reference ciphertext`)

    // And backwards: the reference opens the published string.
    const sealed = Buffer.from(v.ciphertext.split('.')[2] ?? '', 'base64url')
    const d = createDecipheriv('aes-256-gcm', ref.key, sealed.subarray(0, 12))
    d.setAAD(Buffer.from(v.aad_utf8, 'utf8'))
    d.setAuthTag(sealed.subarray(-16))
    t.equal(Buffer.concat([d.update(sealed.subarray(12, -16)), d.final()]).toString('hex'), v.plaintext_hex)
  }
  for (const v of published.legacy) {
    const master = Buffer.from(v.master_key_hex, 'hex')
    const ref = reference(master, v.user_id, 'claraverse-user-encryption', Buffer.from(v.nonce_hex, 'hex'), Buffer.from(v.plaintext_hex, 'hex'))
    t.equal(deriveLegacyKey(master, v.user_id).toString('hex'), v.legacy_key_hex, `${v.name}: legacy key`)
    t.equal(ref.key.toString('hex'), v.legacy_key_hex)
    t.equal(ref.sealed.toString('base64'), v.blob)
  }
  t.same(compute(), { current: published.current, legacy: published.legacy }, 'nothing in the file depends on the run')
})

t.test('the running service reads every published vector', async (t) => {
  for (const v of published.current) {
    const h = await vaultHarness(t, { env: { ENCRYPTION_MASTER_KEY: v.master_key_hex, ENCRYPTION_KEY_VERSION: String(v.key_version), ENCRYPTION_MASTER_KEYS_PREVIOUS: '' } })
    t.same(await h.decrypt(v.user_id, [{ ciphertext: v.ciphertext, context: v.context, encoding: 'base64' }]),
      [{ plaintext: Buffer.from(v.plaintext_hex, 'hex').toString('base64') }], v.name)
  }
  for (const v of published.legacy) {
    const h = await vaultHarness(t, { env: { ENCRYPTION_MASTER_KEY: v.master_key_hex, ENCRYPTION_KEY_VERSION: '5', ENCRYPTION_MASTER_KEYS_PREVIOUS: '' } })
    const [opened] = await h.decrypt(v.user_id, [{ ciphertext: v.blob, context: 'integration:1' }])
    t.equal(opened?.plaintext, v.plaintext_utf8, v.name)
    t.match(opened?.rewrapped, /^cv1\.5\./)
  }
})
