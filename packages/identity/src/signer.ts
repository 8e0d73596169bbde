import { randomUUID, type KeyObject } from 'node:crypto'
import { createSigner as createJwtSigner } from 'fast-jwt'
import { IDENTITY_ISSUER, IDENTITY_TTL_SECONDS, IDENTITY_TYP, type Identity } from './claims.js'
import { keyId } from './jwks.js'
import { Lru } from './lru.js'

export interface AssertionSigner {
  /** A signed assertion for this identity and audience; reused while it has over half its life left. */
  sign(identity: Identity, audience: readonly string[]): string
  readonly kid: string
}

interface Cached {
  token: string
  renewAt: number
}

export interface SignerOptions {
  privateKey: KeyObject
  ttlSeconds?: number
  /** Bound on cached assertions; the least recently used goes first. */
  cacheSize?: number
  now?: () => number
}

export function createAssertionSigner(opts: SignerOptions): AssertionSigner {
  const ttl = opts.ttlSeconds ?? IDENTITY_TTL_SECONDS
  const now = opts.now ?? Date.now
  const kid = keyId(opts.privateKey)
  const sign = createJwtSigner({
    key: opts.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    algorithm: 'EdDSA',
    kid,
    header: { alg: 'EdDSA', typ: IDENTITY_TYP, kid },
    iss: IDENTITY_ISSUER,
  })
  // Signing costs ~40 µs; a busy session would pay it on every request without this cache.
  const cache = new Lru<string, Cached>(opts.cacheSize ?? 10_000)
  return {
    kid,
    sign(identity, audience) {
      const t = now()
      const key = `${identity.sub}\u0000${identity.sid}\u0000${identity.role}\u0000${identity.email}\u0000${audience.join(',')}`
      const hit = cache.get(key)
      if (hit && hit.renewAt > t) return hit.token
      const iat = Math.floor(t / 1000)
      const token = sign({
        sub: identity.sub, email: identity.email, role: identity.role, sid: identity.sid,
        aud: [...audience], iat, exp: iat + ttl, jti: randomUUID(),
      })
      cache.set(key, { token, renewAt: t + (ttl * 1000) / 2 })
      return token
    },
  }
}
