import { createHash, createPublicKey, type KeyObject, type JsonWebKey } from 'node:crypto'

export interface PublicJwk {
  kty: 'OKP'
  crv: 'Ed25519'
  x: string
  kid: string
  alg: 'EdDSA'
  use: 'sig'
}

/** RFC 7638 thumbprint: a key id that anyone holding the public key can recompute. */
export function keyId(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key
  const jwk = publicKey.export({ format: 'jwk' })
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x })
  return createHash('sha256').update(canonical).digest('base64url')
}

export function toPublicJwk(key: KeyObject): PublicJwk {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key
  const jwk = publicKey.export({ format: 'jwk' })
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') throw new Error('identity keys must be Ed25519')
  return { kty: 'OKP', crv: 'Ed25519', x: jwk.x, kid: keyId(publicKey), alg: 'EdDSA', use: 'sig' }
}

export function jwksDocument(keys: readonly KeyObject[]): { keys: PublicJwk[] } {
  return { keys: keys.map(toPublicJwk) }
}

/** Parses a JWKS document, keeping only Ed25519 signing keys. */
export function keysFromJwks(doc: unknown): KeyObject[] {
  const list = typeof doc === 'object' && doc !== null ? (doc as { keys?: unknown }).keys : undefined
  if (!Array.isArray(list)) throw new Error('JWKS document has no keys array')
  return list
    .filter((k): k is JsonWebKey => typeof k === 'object' && k !== null && k.kty === 'OKP' && k.crv === 'Ed25519' && typeof k.x === 'string')
    .map((k) => createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: k.x }, format: 'jwk' }))
}

/** Fetches the gateway's JWKS, retrying while the gateway starts (services may boot first). */
export async function fetchJwks(url: string, attempts = 30, delayMs = 500): Promise<KeyObject[]> {
  let last: unknown
  for (let i = 0; i < attempts; i++) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(3000) })
      if (!res.ok) throw new Error(`HTTP ${res.status}`)
      const keys = keysFromJwks(await res.json())
      if (keys.length > 0) return keys
      throw new Error('no Ed25519 keys in document')
    } catch (err) {
      last = err
      await new Promise((r) => setTimeout(r, delayMs))
    }
  }
  throw new Error(`could not load identity keys from ${url}: ${(last as Error)?.message}`)
}
