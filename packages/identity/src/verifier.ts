import type { KeyObject } from 'node:crypto'
import { createDecoder, createVerifier } from 'fast-jwt'
import { IDENTITY_ISSUER, IDENTITY_TYP, type VerifiedIdentity } from './claims.js'
import { fetchJwks, keyId } from './jwks.js'
import { IdentityInvalid } from './errors.js'
import { Lru } from './lru.js'

export interface AssertionVerifier {
  /** Resolves with the identity, or rejects with IDENTITY_INVALID (401). */
  verify(token: string): Promise<VerifiedIdentity>
}

export interface VerifierOptions {
  /** This service's name; the assertion's `aud` must contain it. */
  audience: string
  publicKeys: readonly KeyObject[]
  /** When set, keys come from here, and an unknown `kid` triggers one refresh (at most every 30 s). */
  jwksUrl?: string | undefined
  /** Verified assertions remembered (by text, until they expire); 0 disables. */
  cacheSize?: number
  now?: () => number
}

type VerifyFn = (token: string) => Record<string, unknown>

const decodeHeader = createDecoder({ complete: true })
const REFRESH_INTERVAL_MS = 30_000

function isIdentity(p: Record<string, unknown>): p is Record<string, unknown> & VerifiedIdentity {
  return typeof p['sub'] === 'string' && p['sub'].length > 0 &&
    typeof p['email'] === 'string' && typeof p['sid'] === 'string' && typeof p['jti'] === 'string' &&
    (p['role'] === 'user' || p['role'] === 'admin') && Array.isArray(p['aud']) && typeof p['exp'] === 'number'
}

export function createAssertionVerifier(opts: VerifierOptions): AssertionVerifier {
  const now = opts.now ?? Date.now
  let verifiers = new Map<string, VerifyFn>()
  let lastRefresh = 0

  const install = (keys: readonly KeyObject[]): void => {
    verifiers = new Map(keys.map((k) => [keyId(k), createVerifier({
      key: k.export({ format: 'pem', type: 'spki' }).toString(),
      algorithms: ['EdDSA'], // pinned: the token's own `alg` never chooses
      checkTyp: IDENTITY_TYP,
      allowedIss: IDENTITY_ISSUER,
      allowedAud: opts.audience,
      requiredClaims: ['sub', 'aud', 'exp', 'iat', 'jti', 'sid', 'role'],
    }) as VerifyFn]))
  }
  install(opts.publicKeys)

  const refresh = async (): Promise<void> => {
    if (opts.jwksUrl === undefined || now() - lastRefresh < REFRESH_INTERVAL_MS) return
    lastRefresh = now()
    install(await fetchJwks(opts.jwksUrl, 1, 0))
  }

  // Verified assertions by their exact text until `exp`: the gateway reuses one per session and
  // audience for up to 30 s, and a full check (decode, Ed25519 verify ~50 µs, claims) on every
  // request cost a service more than its own work. Only successes are kept.
  const verified = new Lru<string, VerifiedIdentity>(opts.cacheSize ?? 4096)
  return {
    async verify(token) {
      const hit = verified.get(token)
      if (hit !== undefined && hit.exp * 1000 > now()) return hit
      let kid: unknown
      try {
        kid = (decodeHeader(token) as { header: Record<string, unknown> }).header['kid']
      } catch {
        throw new IdentityInvalid()
      }
      if (typeof kid !== 'string') throw new IdentityInvalid()
      let fn = verifiers.get(kid)
      if (fn === undefined) {
        await refresh().catch(() => undefined)
        fn = verifiers.get(kid)
        if (fn === undefined) throw new IdentityInvalid()
      }
      let payload: Record<string, unknown>
      try {
        payload = fn(token)
      } catch {
        throw new IdentityInvalid()
      }
      if (!isIdentity(payload)) throw new IdentityInvalid()
      verified.set(token, payload)
      return payload
    },
  }
}

/** Builds a verifier from configuration, loading the JWKS first when a URL is configured. */
export async function verifierFromTrust(audience: string, trust: { publicKeys: KeyObject[]; jwksUrl: string | undefined }): Promise<AssertionVerifier> {
  const keys = trust.jwksUrl !== undefined ? [...trust.publicKeys, ...await fetchJwks(trust.jwksUrl)] : trust.publicKeys
  return createAssertionVerifier({ audience, publicKeys: keys, jwksUrl: trust.jwksUrl })
}
