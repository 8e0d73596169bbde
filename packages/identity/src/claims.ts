export const IDENTITY_ISSUER = 'claraverse-gateway'
export const IDENTITY_HEADER = 'x-identity'
export const IDENTITY_TYP = 'identity+jwt'
/** Assertions live 60 s (DESIGN §4); signers reuse one for at most half of that. */
export const IDENTITY_TTL_SECONDS = 60

export type Role = 'user' | 'admin'

/** Who the gateway vouches for. */
export interface Identity {
  sub: string
  email: string
  role: Role
  sid: string
}

export interface VerifiedIdentity extends Identity {
  aud: string[]
  jti: string
  exp: number
}

export type ServiceName = 'auth' | 'vault' | 'app'
