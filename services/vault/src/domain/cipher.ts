import { createCipheriv, createDecipheriv } from 'node:crypto'
import { NONCE_BYTES, TAG_BYTES } from './limits.js'

export const FORMAT_PREFIX = 'cv1'

/** Binds a blob to its key version, its owner and the caller's record (DESIGN §6). */
export const additionalData = (version: number, userId: string, context: string): Buffer =>
  Buffer.from(`${FORMAT_PREFIX}|${version}|${userId}|${context}`, 'utf8')

/** AES-256-GCM; returns nonce ‖ ciphertext ‖ tag. No AAD for legacy-format blobs only. */
export function seal(key: Buffer, nonce: Buffer, plaintext: Buffer, aad?: Buffer): Buffer {
  if (nonce.length !== NONCE_BYTES) throw new Error(`nonce must be ${NONCE_BYTES} bytes`)
  const c = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES })
  if (aad) c.setAAD(aad)
  return Buffer.concat([nonce, c.update(plaintext), c.final(), c.getAuthTag()])
}

/** The plaintext, or undefined when the tag does not verify (wrong key, AAD or any flipped bit). */
export function open(key: Buffer, sealed: Buffer, aad?: Buffer): Buffer | undefined {
  if (sealed.length < NONCE_BYTES + TAG_BYTES) return undefined
  const d = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, NONCE_BYTES), { authTagLength: TAG_BYTES })
  d.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES))
  if (aad) d.setAAD(aad)
  const body = d.update(sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES))
  try {
    return Buffer.concat([body, d.final()])
  } catch {
    body.fill(0) // unauthenticated output must not linger
    return undefined
  }
}

export const formatCiphertext = (version: number, sealed: Buffer): string => `${FORMAT_PREFIX}.${version}.${sealed.toString('base64url')}`

/**
 * The current format with a caller-chosen nonce. Production passes a fresh random one; the
 * published test vectors pass fixed ones. Reusing a nonce under one key breaks GCM: never do.
 */
export function encryptWithNonce(userKey: Buffer, version: number, userId: string, context: string, plaintext: Buffer, nonce: Buffer): string {
  return formatCiphertext(version, seal(userKey, nonce, plaintext, additionalData(version, userId, context)))
}
