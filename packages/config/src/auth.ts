import { EnvReader, type Env } from './reader.js'
import { readCommon, readTrustProxy, readIdentityTrust, readJwtSecret, readRequiredInProduction, superadminReader, type CommonConfig, type IdentityTrust } from './common.js'

export interface AuthConfig extends CommonConfig {
  jwtSecret: string
  /** Lifetimes in seconds. */
  accessTokenTtl: number
  refreshTokenTtl: number
  refreshReuseGrace: number
  argon2: { memoryCost: number; timeCost: number; parallelism: number }
  passwordMinLength: number
  mongodbUri: string | undefined
  redisUrl: string | undefined
  /** The gateway's address(es): whose X-Forwarded-For names the client (login throttling). */
  trustProxy: string | number | string[]
  identity: IdentityTrust
  superadmins: () => ReadonlySet<string>
}

export function loadAuthConfig(env: Env = process.env): AuthConfig {
  const r = new EnvReader(env)
  const c = readCommon(r, 'auth', 3101)
  const config: AuthConfig = {
    ...c,
    jwtSecret: readJwtSecret(r, c),
    accessTokenTtl: r.duration('JWT_ACCESS_TOKEN_EXPIRY', '15m'),
    refreshTokenTtl: r.duration('JWT_REFRESH_TOKEN_EXPIRY', '7d'),
    refreshReuseGrace: r.duration('REFRESH_REUSE_GRACE', '10s'),
    argon2: {
      memoryCost: r.int('ARGON2_MEMORY_KIB', 19456, 8192, 4_194_304),
      timeCost: r.int('ARGON2_TIME_COST', 2, 1, 100),
      parallelism: r.int('ARGON2_PARALLELISM', 1, 1, 64),
    },
    passwordMinLength: r.int('PASSWORD_MIN_LENGTH', 8, 8, 128),
    mongodbUri: readRequiredInProduction(r, c, 'MONGODB_URI', 'the embedded store is for development only'),
    redisUrl: readRequiredInProduction(r, c, 'REDIS_URL', 'revocations reach the gateway through Redis'),
    trustProxy: readTrustProxy(r),
    identity: readIdentityTrust(r, c),
    superadmins: superadminReader(env),
  }
  if (config.accessTokenTtl >= config.refreshTokenTtl) {
    r.problem('JWT_ACCESS_TOKEN_EXPIRY', 'must be shorter than JWT_REFRESH_TOKEN_EXPIRY')
  }
  r.finish('auth')
  return config
}
