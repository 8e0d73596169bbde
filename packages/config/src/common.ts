import { resolve } from 'node:path'
import { createPublicKey, type KeyObject } from 'node:crypto'
import { EnvReader, type Env } from './reader.js'
import { devSecret } from './secrets.js'
import { generateSigningKeyPem, hexSecret, parsePrivateKey, parsePublicKey } from './keys.js'

export type Environment = 'development' | 'test' | 'production'

export interface CommonConfig {
  service: string
  environment: Environment
  production: boolean
  host: string
  port: number
  logLevel: string
  dataDir: string
  /** Prometheus metrics port; unset means no metrics listener. */
  metricsPort: number | undefined
  /** Things worth a log line at start-up that do not stop it. */
  warnings: string[]
}

/** Claims shared by the auth service (issuer) and the gateway (verifier) for user tokens. */
export const TOKEN_ISSUER = 'claraverse-auth'
export const TOKEN_AUDIENCE = 'claraverse'

export function readCommon(r: EnvReader, service: string, defaultPort: number): CommonConfig {
  const environment = r.oneOf<Environment>('ENVIRONMENT', ['development', 'test', 'production'], 'development')
  return {
    service,
    environment,
    production: environment === 'production',
    host: r.string('HOST', '127.0.0.1'),
    port: r.port('PORT', defaultPort),
    logLevel: r.oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
    dataDir: resolve(r.string('DATA_DIR', 'data')),
    metricsPort: r.raw('METRICS_PORT') === undefined ? undefined : r.port('METRICS_PORT', 0),
    warnings: r.warnings,
  }
}

/** JWT_SECRET: at least 64 hex characters in production; generated once in development. */
export function readJwtSecret(r: EnvReader, c: CommonConfig): string {
  const v = r.raw('JWT_SECRET')
  const strong = v !== undefined && /^[0-9a-fA-F]{64,}$/.test(v)
  if (c.production && !strong) {
    r.problem('JWT_SECRET', v === undefined ? 'is required in production (generate: openssl rand -hex 64)'
      : 'must be at least 64 hex characters in production (generate: openssl rand -hex 64)')
  }
  if (v !== undefined) {
    if (!strong && !c.production) r.warnings.push('JWT_SECRET is shorter than 64 hex characters; production refuses it')
    return v
  }
  return c.production ? '' : devSecret(c.dataDir, 'JWT_SECRET', () => hexSecret(64))
}

export function readRequiredInProduction(r: EnvReader, c: CommonConfig, name: string, how: string): string | undefined {
  const v = r.raw(name)
  if (v === undefined && c.production) r.problem(name, `is required in production (${how})`)
  return v
}

/** The gateway's Ed25519 signing key for identity assertions. */
export function readSigningKey(r: EnvReader, c: CommonConfig): KeyObject | undefined {
  const v = r.raw('IDENTITY_SIGNING_KEY')
  if (v === undefined) {
    if (c.production) {
      r.problem('IDENTITY_SIGNING_KEY', 'is required in production (generate: npx claraverse secrets)')
      return undefined
    }
    return parsePrivateKey(devSecret(c.dataDir, 'IDENTITY_SIGNING_KEY', generateSigningKeyPem))
  }
  try {
    return parsePrivateKey(v)
  } catch (err) {
    r.problem('IDENTITY_SIGNING_KEY', `is not a usable Ed25519 private key: ${(err as Error).message}`)
    return undefined
  }
}

export interface IdentityTrust {
  /** Keys given directly; empty when a JWKS URL is used instead. */
  publicKeys: KeyObject[]
  jwksUrl: string | undefined
}

/**
 * How a service learns the gateway's public key: IDENTITY_PUBLIC_KEY (one or more, comma
 * separated, for rotation) or IDENTITY_JWKS_URL. In development, with neither set, the key
 * comes from the gateway's development key in the shared data directory.
 */
export function readIdentityTrust(r: EnvReader, c: CommonConfig): IdentityTrust {
  const jwksUrl = r.url('IDENTITY_JWKS_URL', undefined)
  const raw = r.list('IDENTITY_PUBLIC_KEY')
  const publicKeys: KeyObject[] = []
  for (const item of raw) {
    try {
      publicKeys.push(parsePublicKey(item))
    } catch (err) {
      r.problem('IDENTITY_PUBLIC_KEY', `is not a usable Ed25519 public key: ${(err as Error).message}`)
    }
  }
  if (publicKeys.length === 0 && jwksUrl === undefined && raw.length === 0) {
    if (c.production) {
      r.problem('IDENTITY_PUBLIC_KEY', 'or IDENTITY_JWKS_URL is required in production (the gateway serves /.well-known/jwks.json)')
    } else {
      const pem = devSecret(c.dataDir, 'IDENTITY_SIGNING_KEY', generateSigningKeyPem)
      publicKeys.push(createPublicKey(parsePrivateKey(pem)))
    }
  }
  return { publicKeys, jwksUrl }
}

/**
 * Whose X-Forwarded-For to believe: `loopback` (default), a hop count, or CIDRs/addresses.
 * `true` is refused: it would let any client choose its own IP, and so its rate-limit key.
 */
export function readTrustProxy(r: EnvReader): string | number | string[] {
  const v = r.raw('TRUST_PROXY')
  if (v === undefined) return 'loopback'
  if (/^\d+$/.test(v)) return Number(v)
  if (v === 'true' || v === '*') {
    r.problem('TRUST_PROXY', 'must name trusted proxies (CIDRs) or a hop count; "true" would let any client pick its IP')
    return 'loopback'
  }
  return v.split(',').map((s) => s.trim()).filter(Boolean)
}

/** SUPERADMIN_USER_IDS is read on every check so that an operator's change needs no restart. */
export function superadminReader(env: Env): () => ReadonlySet<string> {
  return () => new Set((env['SUPERADMIN_USER_IDS'] ?? '').split(',').map((s) => s.trim()).filter(Boolean))
}

export { EnvReader }
