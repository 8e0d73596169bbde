import type { KeyObject } from 'node:crypto'
import { EnvReader, type Env } from './reader.js'
import { readCommon, readTrustProxy, readJwtSecret, readRequiredInProduction, readSigningKey, superadminReader, type CommonConfig } from './common.js'

/** The security guide's development origins. */
export const DEV_ALLOWED_ORIGINS = [
  'http://localhost', 'http://localhost:5173', 'http://localhost:5174', 'http://localhost:3000', 'http://localhost:8080',
]

export interface RateLimits {
  global: number
  publicRead: number
  authenticated: number
  websocket: number
  imageProxy: number
  auth: number
}

export interface GatewayConfig extends CommonConfig {
  allowedOrigins: string[]
  /** `loopback` (default), a hop count, or a list of CIDRs/addresses of trusted proxies. */
  trustProxy: string | number | string[]
  jwtSecret: string
  /** Seconds; how long a revocation must be remembered (no older access token can still be valid). */
  accessTokenTtl: number
  signingKey: KeyObject | undefined
  upstreams: { auth: string; app: string }
  redisUrl: string | undefined
  rateLimits: RateLimits
  rateLimitFailMode: 'open' | 'closed'
  devApiKey: string | undefined
  superadmins: () => ReadonlySet<string>
}

function readOrigins(r: EnvReader, c: CommonConfig): string[] {
  const origins = r.list('ALLOWED_ORIGINS')
  if (origins.length === 0) {
    if (c.production) r.problem('ALLOWED_ORIGINS', 'is required in production (e.g. https://yourdomain.com)')
    return c.production ? [] : DEV_ALLOWED_ORIGINS
  }
  for (const o of origins) {
    if (o === '*' || o.includes('*')) {
      if (c.production) r.problem('ALLOWED_ORIGINS', 'must not contain * in production; list exact origins')
      else r.warnings.push('ALLOWED_ORIGINS contains *, which production refuses; wildcards match nothing here')
      continue
    }
    try {
      const u = new URL(o)
      if (u.origin !== o) r.problem('ALLOWED_ORIGINS', `entry "${o}" must be an exact origin such as ${u.origin}`)
    } catch {
      r.problem('ALLOWED_ORIGINS', `entry "${o}" is not an origin (scheme://host[:port])`)
    }
  }
  return origins.filter((o) => !o.includes('*'))
}


export function loadGatewayConfig(env: Env = process.env): GatewayConfig {
  const r = new EnvReader(env)
  const c = readCommon(r, 'gateway', 3001)
  const limit = (name: string, fallback: number): number => r.int(name, fallback, 1, 1_000_000)
  const config: GatewayConfig = {
    ...c,
    allowedOrigins: readOrigins(r, c),
    trustProxy: readTrustProxy(r),
    jwtSecret: readJwtSecret(r, c),
    accessTokenTtl: r.duration('JWT_ACCESS_TOKEN_EXPIRY', '15m'),
    signingKey: readSigningKey(r, c),
    upstreams: {
      auth: r.url('AUTH_URL', 'http://127.0.0.1:3101') ?? '',
      app: r.url('APP_URL', 'http://127.0.0.1:3103') ?? '',
    },
    redisUrl: readRequiredInProduction(r, c, 'REDIS_URL', 'rate limits and revocations are shared through Redis'),
    rateLimits: {
      global: limit('RATE_LIMIT_GLOBAL_API', 200),
      publicRead: limit('RATE_LIMIT_PUBLIC_READ', 120),
      authenticated: limit('RATE_LIMIT_AUTHENTICATED', 60),
      websocket: limit('RATE_LIMIT_WEBSOCKET', 20),
      imageProxy: limit('RATE_LIMIT_IMAGE_PROXY', 60),
      auth: limit('RATE_LIMIT_AUTH', 10),
    },
    rateLimitFailMode: r.oneOf('RATE_LIMIT_FAIL_MODE', ['open', 'closed'], 'open'),
    devApiKey: r.raw('DEV_API_KEY'),
    superadmins: superadminReader(env),
  }
  if (config.redisUrl !== undefined) r.url('REDIS_URL', undefined, ['redis:', 'rediss:'])
  if (c.production && config.devApiKey !== undefined) r.warnings.push('DEV_API_KEY is set but ignored in production')
  r.finish('gateway')
  return config
}
