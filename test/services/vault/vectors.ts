// Inputs of the published vectors (docs/vault-test-vectors.json) and an independent reference
// implementation of DESIGN §6 with node:crypto only, so the file is checked against more than
// the code that wrote it. `node --import tsx test/services/vault/vectors.ts` rewrites the file.
import { createCipheriv, createHash, hkdfSync } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { deriveLegacyKey, deriveUserKey, encryptWithNonce } from '@claraverse/vault'

export const VECTORS_FILE = 'docs/vault-test-vectors.json'

export interface CurrentInput { name: string; master_key_hex: string; key_version: number; user_id: string; context: string; nonce_hex: string; plaintext_hex: string }
export interface CurrentVector extends CurrentInput { plaintext_utf8?: string; aad_utf8: string; derived_key_hex: string; ciphertext: string }
export interface LegacyInput { name: string; master_key_hex: string; user_id: string; nonce_hex: string; plaintext_hex: string }
export interface LegacyVector extends LegacyInput { plaintext_utf8: string; legacy_key_hex: string; blob: string }

const hex = (s: string): string => Buffer.from(s, 'utf8').toString('hex')
const seq = Buffer.from(Array.from({ length: 32 }, (_, i) => i)).toString('hex')
const sha = (s: string): string => createHash('sha256').update(s).digest('hex')

export const currentInputs: CurrentInput[] = [
  { name: 'ASCII, empty context', master_key_hex: seq, key_version: 1, user_id: 'user_123', context: '', nonce_hex: '000000000000000000000000', plaintext_hex: hex('hello') },
  { name: 'record context, non-ASCII plaintext', master_key_hex: sha('vector master 2'), key_version: 2, user_id: '6560f1c2a9d3e4b5c6d7e8f9', context: 'integration:6560f1c2', nonce_hex: 'cafebabefacedbaddecaf888', plaintext_hex: hex('sk-live-🔑-秘密') },
  { name: 'empty plaintext, separators in user id and context', master_key_hex: sha('vector master 3'), key_version: 42, user_id: 'usér|with|pipes', context: 'chat:42|x', nonce_hex: 'ffffffffffffffffffffffff', plaintext_hex: '' },
  { name: 'binary plaintext, largest version', master_key_hex: 'ff'.repeat(32), key_version: 1_000_000, user_id: 'a', context: 'file:1', nonce_hex: '0102030405060708090a0b0c', plaintext_hex: Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 37) & 0xff)).toString('hex') },
]

export const legacyInputs: LegacyInput[] = [
  { name: 'Go backend blob', master_key_hex: seq, user_id: 'user_123', nonce_hex: '101112131415161718191a1b', plaintext_hex: hex('{"api_key":"sk-legacy-0001"}') },
]

/** Reference: HKDF-SHA256 and AES-256-GCM straight from node:crypto, nothing from the vault. */
export function reference(master: Buffer, salt: string, info: string, nonce: Buffer, plaintext: Buffer, aad?: string): { key: Buffer; sealed: Buffer } {
  const key = Buffer.from(hkdfSync('sha256', master, Buffer.from(salt, 'utf8'), Buffer.from(info, 'utf8'), 32))
  const c = createCipheriv('aes-256-gcm', key, nonce)
  if (aad !== undefined) c.setAAD(Buffer.from(aad, 'utf8'))
  return { key, sealed: Buffer.concat([nonce, c.update(plaintext), c.final(), c.getAuthTag()]) }
}

const utf8OrUndefined = (b: Buffer): string | undefined => {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(b)
  } catch {
    return undefined
  }
}

/** The vectors as the vault computes them. */
export function compute(): { current: CurrentVector[]; legacy: LegacyVector[] } {
  const current = currentInputs.map((v) => {
    const master = Buffer.from(v.master_key_hex, 'hex')
    const plaintext = Buffer.from(v.plaintext_hex, 'hex')
    const key = deriveUserKey(master, v.user_id)
    const text = utf8OrUndefined(plaintext)
    return {
      ...v, ...(text !== undefined ? { plaintext_utf8: text } : {}),
      aad_utf8: `cv1|${v.key_version}|${v.user_id}|${v.context}`,
      derived_key_hex: key.toString('hex'),
      ciphertext: encryptWithNonce(key, v.key_version, v.user_id, v.context, plaintext, Buffer.from(v.nonce_hex, 'hex')),
    }
  })
  // The vault only reads legacy blobs, so the blob comes from the reference (the Go format).
  const legacy = legacyInputs.map((v) => {
    const master = Buffer.from(v.master_key_hex, 'hex')
    const plaintext = Buffer.from(v.plaintext_hex, 'hex')
    const { sealed } = reference(master, v.user_id, 'claraverse-user-encryption', Buffer.from(v.nonce_hex, 'hex'), plaintext)
    return { ...v, plaintext_utf8: plaintext.toString('utf8'), legacy_key_hex: deriveLegacyKey(master, v.user_id).toString('hex'), blob: sealed.toString('base64') }
  })
  return { current, legacy }
}

export function document(): Record<string, unknown> {
  return {
    title: 'ClaraVerse vault test vectors',
    spec: {
      user_key: 'HKDF-SHA256(ikm = master key, salt = UTF-8 user id, info = UTF-8 "claraverse/vault/v1/user:" + user id), 32 bytes',
      cipher: 'AES-256-GCM, 96-bit nonce, 128-bit tag, AAD = UTF-8 "cv1|<key version>|<user id>|<context>"',
      ciphertext: '"cv1." + key version (decimal, no leading zeros) + "." + base64url without padding of (nonce ‖ ciphertext ‖ tag)',
      legacy_key: 'HKDF-SHA256(ikm = master key, salt = UTF-8 user id, info = "claraverse-user-encryption"), 32 bytes',
      legacy_blob: 'standard base64 with padding of (nonce ‖ ciphertext ‖ tag), no AAD; the vault decrypts it and returns it rewrapped in the current format',
      note: 'Nonces here are fixed so the output is reproducible; the vault draws a random nonce for every encryption. Never reuse these keys.',
    },
    ...compute(),
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  writeFileSync(VECTORS_FILE, JSON.stringify(document(), null, 2) + '\n')
  process.stdout.write(`wrote ${VECTORS_FILE}\n`)
}
