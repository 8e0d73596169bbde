import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto'

export const hexSecret = (bytes: number): string => randomBytes(bytes).toString('hex')

/** A fresh Ed25519 signing key as PKCS#8 PEM (what IDENTITY_SIGNING_KEY holds). */
export function generateSigningKeyPem(): string {
  return generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()
}

// Env vars rarely hold newlines well: accept real PEM, PEM with literal "\n", or base64 DER.
function pemOrDer(raw: string, label: string): string | Buffer {
  const text = raw.replace(/\\n/g, '\n').trim()
  if (text.startsWith('-----BEGIN')) return text
  if (!/^[A-Za-z0-9+/=_-]+$/.test(text)) throw new Error(`not PEM or base64 ${label}`)
  return Buffer.from(text, 'base64')
}

export function parsePrivateKey(raw: string): KeyObject {
  const src = pemOrDer(raw, 'PKCS#8')
  const key = typeof src === 'string' ? createPrivateKey(src) : createPrivateKey({ key: src, format: 'der', type: 'pkcs8' })
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`must be an Ed25519 key, not ${key.asymmetricKeyType}`)
  return key
}

export function parsePublicKey(raw: string): KeyObject {
  const src = pemOrDer(raw, 'SPKI')
  const key = typeof src === 'string' ? createPublicKey(src) : createPublicKey({ key: src, format: 'der', type: 'spki' })
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`must be an Ed25519 key, not ${key.asymmetricKeyType}`)
  return key
}
