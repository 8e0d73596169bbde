import { randomUUID } from 'node:crypto'
import { createSigner, createVerifier } from 'fast-jwt'
import { TOKEN_AUDIENCE, TOKEN_ISSUER } from '@claraverse/config'
import type { Role } from '@claraverse/identity'

export interface AccessClaims {
  sub: string
  email: string
  role: Role
  sid: string
  typ: 'access'
  jti: string
  iat: number
  exp: number
}

export interface RefreshClaims {
  sub: string
  sid: string
  typ: 'refresh'
  jti: string
  iat: number
  exp: number
}

export interface TokenSettings {
  secret: string
  accessTtl: number
  now?: () => number
}

/** HS256 user tokens (DESIGN §5). The verifier pins the algorithm, issuer, audience and type. */
export class Tokens {
  private readonly sign: (payload: Record<string, unknown>) => string
  private readonly verifyRefreshJwt: (token: string) => Record<string, unknown>
  private readonly verifyAccessJwt: (token: string) => Record<string, unknown>
  private readonly now: () => number

  constructor(private readonly settings: TokenSettings) {
    this.now = settings.now ?? Date.now
    this.sign = createSigner({ key: settings.secret, algorithm: 'HS256', iss: TOKEN_ISSUER, aud: TOKEN_AUDIENCE, header: { alg: 'HS256', typ: 'JWT' } })
    const verifier = (typ: string) => {
      const verify = createVerifier({ key: settings.secret, algorithms: ['HS256'], allowedIss: TOKEN_ISSUER, allowedAud: TOKEN_AUDIENCE, requiredClaims: ['sub', 'sid', 'jti', 'exp', 'iat', 'typ'] })
      return (token: string): Record<string, unknown> => {
        const claims = verify(token) as Record<string, unknown>
        if (claims['typ'] !== typ) throw new Error(`not a ${typ} token`)
        return claims
      }
    }
    this.verifyRefreshJwt = verifier('refresh')
    this.verifyAccessJwt = verifier('access')
  }

  get accessTtl(): number {
    return this.settings.accessTtl
  }

  /**
   * `issuedAtLeast` lifts `iat` to a revocation's `not_before` (at most a second ahead), so tokens
   * issued right after a user-wide revocation, in the same second, are not caught by it.
   */
  access(user: { id: string; email: string; role: Role }, sid: string, issuedAtLeast = 0): string {
    const iat = Math.max(Math.floor(this.now() / 1000), issuedAtLeast)
    return this.sign({ sub: user.id, email: user.email, role: user.role, sid, typ: 'access', jti: randomUUID(), iat, exp: iat + this.settings.accessTtl })
  }

  /** A refresh token with the session family's absolute expiry (rotation never extends it). */
  refresh(userId: string, sid: string, jti: string, expiresAtMs: number, issuedAtLeast = 0): string {
    const iat = Math.max(Math.floor(this.now() / 1000), issuedAtLeast)
    return this.sign({ sub: userId, sid, typ: 'refresh', jti, iat, exp: Math.floor(expiresAtMs / 1000) })
  }

  /** Undefined for anything that is not a valid, unexpired refresh token. */
  verifyRefresh(token: string): RefreshClaims | undefined {
    try {
      return this.verifyRefreshJwt(token) as unknown as RefreshClaims
    } catch {
      return undefined
    }
  }

  verifyAccess(token: string): AccessClaims | undefined {
    try {
      return this.verifyAccessJwt(token) as unknown as AccessClaims
    } catch {
      return undefined
    }
  }
}
