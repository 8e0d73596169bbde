import t from 'tap'
import { mkdtempSync, statSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  ConfigError, loadAppConfig, loadAuthConfig, loadGatewayConfig, loadVaultConfig, parseDuration,
  generateSigningKeyPem, DEV_ALLOWED_ORIGINS, type Env,
} from '@claraverse/config'
import { createPublicKey } from 'node:crypto'

const hex = (n: number): string => 'ab'.repeat(n / 2)
const signingKey = generateSigningKeyPem()
const publicKey = createPublicKey(signingKey).export({ format: 'pem', type: 'spki' }).toString()

/** A production environment that passes every rule; each test breaks one thing. */
const prod: Env = {
  ENVIRONMENT: 'production',
  JWT_SECRET: hex(128),
  ENCRYPTION_MASTER_KEY: hex(64),
  ALLOWED_ORIGINS: 'https://chat.example.com',
  MONGODB_URI: 'mongodb://db:27017',
  REDIS_URL: 'redis://cache:6379',
  IDENTITY_SIGNING_KEY: signingKey,
  IDENTITY_PUBLIC_KEY: publicKey,
}

function problems(fn: () => unknown): string[] {
  try {
    fn()
  } catch (err) {
    if (err instanceof ConfigError) return err.problems
    throw err
  }
  return []
}

t.test('a complete production environment starts every service', async (t) => {
  t.same(problems(() => loadGatewayConfig(prod)), [])
  t.same(problems(() => loadAuthConfig(prod)), [])
  t.same(problems(() => loadVaultConfig(prod)), [])
  t.same(problems(() => loadAppConfig(prod)), [])
})

t.test('production refusal rules, each with a message naming the variable', async (t) => {
  const cases: Array<[string, Env, (env: Env) => unknown, RegExp]> = [
    ['JWT_SECRET missing', { JWT_SECRET: undefined }, loadGatewayConfig, /^JWT_SECRET is required in production/],
    ['JWT_SECRET short', { JWT_SECRET: hex(62) }, loadAuthConfig, /^JWT_SECRET must be at least 64 hex characters/],
    ['JWT_SECRET not hex', { JWT_SECRET: 'z'.repeat(80) }, loadGatewayConfig, /^JWT_SECRET must be at least 64 hex/],
    ['master key missing', { ENCRYPTION_MASTER_KEY: undefined }, loadVaultConfig, /^ENCRYPTION_MASTER_KEY is required in production/],
    ['master key wrong length', { ENCRYPTION_MASTER_KEY: hex(66) }, loadVaultConfig, /^ENCRYPTION_MASTER_KEY must be exactly 64 hex/],
    ['master key not hex', { ENCRYPTION_MASTER_KEY: 'g'.repeat(64) }, loadVaultConfig, /^ENCRYPTION_MASTER_KEY must be exactly 64 hex/],
    ['origins missing', { ALLOWED_ORIGINS: undefined }, loadGatewayConfig, /^ALLOWED_ORIGINS is required in production/],
    ['origins wildcard', { ALLOWED_ORIGINS: 'https://a.example.com,*' }, loadGatewayConfig, /^ALLOWED_ORIGINS must not contain \*/],
    ['origins partial wildcard', { ALLOWED_ORIGINS: 'https://*.example.com' }, loadGatewayConfig, /^ALLOWED_ORIGINS must not contain \*/],
    ['MONGODB_URI missing (auth)', { MONGODB_URI: undefined }, loadAuthConfig, /^MONGODB_URI is required in production/],
    ['MONGODB_URI missing (app)', { MONGODB_URI: undefined }, loadAppConfig, /^MONGODB_URI is required in production/],
    ['REDIS_URL missing (gateway)', { REDIS_URL: undefined }, loadGatewayConfig, /^REDIS_URL is required in production/],
    ['REDIS_URL missing (auth)', { REDIS_URL: undefined }, loadAuthConfig, /^REDIS_URL is required in production/],
    ['REDIS_URL missing (app)', { REDIS_URL: undefined }, loadAppConfig, /^REDIS_URL is required in production/],
    ['signing key missing', { IDENTITY_SIGNING_KEY: undefined }, loadGatewayConfig, /^IDENTITY_SIGNING_KEY is required in production/],
    ['signing key garbage', { IDENTITY_SIGNING_KEY: 'not a key!' }, loadGatewayConfig, /^IDENTITY_SIGNING_KEY is not a usable Ed25519 private key/],
    ['verification key missing', { IDENTITY_PUBLIC_KEY: undefined }, loadVaultConfig, /^IDENTITY_PUBLIC_KEY or IDENTITY_JWKS_URL is required in production/],
  ]
  for (const [name, change, load, expected] of cases) {
    const found = problems(() => load({ ...prod, ...change }))
    t.equal(found.length, 1, `${name}: exactly one problem`)
    t.match(found[0] ?? '', expected, name)
  }
})

t.test('every problem is reported at once, and the message lists them', async (t) => {
  try {
    loadGatewayConfig({ ENVIRONMENT: 'production' })
    t.fail('should refuse')
  } catch (err) {
    t.ok(err instanceof ConfigError)
    const message = (err as Error).message
    for (const name of ['JWT_SECRET', 'ALLOWED_ORIGINS', 'REDIS_URL', 'IDENTITY_SIGNING_KEY']) t.match(message, name)
    t.match(message, /^gateway: invalid configuration/)
  }
})

t.test('malformed values are refused in any environment', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cv-config-'))
  t.match(problems(() => loadAuthConfig({ DATA_DIR: dir, PORT: '70000' })), [/^PORT must be a whole number from 0 to 65535 \(got "70000"\)/])
  t.match(problems(() => loadAuthConfig({ DATA_DIR: dir, JWT_ACCESS_TOKEN_EXPIRY: 'soon' })), [/^JWT_ACCESS_TOKEN_EXPIRY must be a duration/])
  t.match(problems(() => loadGatewayConfig({ DATA_DIR: dir, ENVIRONMENT: 'staging' })), [/^ENVIRONMENT must be one of development, test, production/])
  t.match(problems(() => loadGatewayConfig({ DATA_DIR: dir, TRUST_PROXY: 'true' })), [/^TRUST_PROXY must name trusted proxies/])
  t.match(problems(() => loadGatewayConfig({ DATA_DIR: dir, RATE_LIMIT_AUTH: '-1' })), [/^RATE_LIMIT_AUTH must be a whole number/])
  t.match(problems(() => loadGatewayConfig({ DATA_DIR: dir, RATE_LIMIT_FAIL_MODE: 'maybe' })), [/^RATE_LIMIT_FAIL_MODE must be one of open, closed/])
  t.match(problems(() => loadGatewayConfig({ DATA_DIR: dir, ALLOWED_ORIGINS: 'https://a.example.com/path' })), [/^ALLOWED_ORIGINS entry "https:\/\/a.example.com\/path" must be an exact origin/])
  t.match(problems(() => loadGatewayConfig({ DATA_DIR: dir, AUTH_URL: 'ftp://x' })), [/^AUTH_URL must be a http: or https: URL/])
  t.match(problems(() => loadVaultConfig({ DATA_DIR: dir, ENCRYPTION_MASTER_KEY: 'abc' })), [/^ENCRYPTION_MASTER_KEY must be exactly 64 hex/])
  t.match(problems(() => loadVaultConfig({ DATA_DIR: dir, ENCRYPTION_MASTER_KEYS_PREVIOUS: '1:abcd' })), [/^ENCRYPTION_MASTER_KEYS_PREVIOUS entries must look like/])
  t.match(problems(() => loadAuthConfig({ DATA_DIR: dir, JWT_ACCESS_TOKEN_EXPIRY: '8d' })), [/^JWT_ACCESS_TOKEN_EXPIRY must be shorter than JWT_REFRESH_TOKEN_EXPIRY/])
})

t.test('development defaults: secrets generated once, kept with mode 0600, stable across restarts', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cv-config-'))
  const env = { DATA_DIR: dir }
  const first = loadGatewayConfig(env)
  t.match(first.jwtSecret, /^[0-9a-f]{128}$/)
  t.same(first.allowedOrigins, DEV_ALLOWED_ORIGINS)
  t.equal(first.port, 3001)
  for (const name of ['JWT_SECRET', 'IDENTITY_SIGNING_KEY']) {
    t.equal(statSync(join(dir, 'secrets', name)).mode & 0o777, 0o600, `${name} is private`)
  }
  t.equal(statSync(join(dir, 'secrets')).mode & 0o777, 0o700)
  const again = loadGatewayConfig(env)
  t.equal(again.jwtSecret, first.jwtSecret, 'a restart keeps the JWT secret')
  t.equal(loadAuthConfig(env).jwtSecret, first.jwtSecret, 'auth and gateway share it')
  const vault = loadVaultConfig(env)
  t.equal(vault.masterKey.length, 32)
  t.equal(readFileSync(join(dir, 'secrets', 'ENCRYPTION_MASTER_KEY'), 'utf8').trim(), vault.masterKey.toString('hex'))
  t.equal(statSync(join(dir, 'secrets', 'ENCRYPTION_MASTER_KEY')).mode & 0o777, 0o600)
  // Services trust the gateway's development key without any configuration.
  const gatewayPublic = createPublicKey(first.signingKey!).export({ format: 'pem', type: 'spki' })
  t.equal(vault.identity.publicKeys[0]?.export({ format: 'pem', type: 'spki' }), gatewayPublic)
})

t.test('durations, lists and superadmins', async (t) => {
  t.equal(parseDuration('15m'), 900)
  t.equal(parseDuration('7d'), 604800)
  t.equal(parseDuration('900'), 900)
  t.equal(parseDuration('12h'), 43200)
  t.equal(parseDuration('0'), undefined)
  t.equal(parseDuration('-5m'), undefined)
  const dir = mkdtempSync(join(tmpdir(), 'cv-config-'))
  const env: Env = { DATA_DIR: dir, SUPERADMIN_USER_IDS: 'user_a, user_b', JWT_REFRESH_TOKEN_EXPIRY: '30d', REFRESH_REUSE_GRACE: '5s' }
  const auth = loadAuthConfig(env)
  t.equal(auth.refreshTokenTtl, 30 * 86400)
  t.equal(auth.refreshReuseGrace, 5)
  t.same([...auth.superadmins()], ['user_a', 'user_b'])
  env['SUPERADMIN_USER_IDS'] = 'user_c'
  t.same([...auth.superadmins()], ['user_c'], 'read on every check, not stored')
  const gw = loadGatewayConfig({ DATA_DIR: dir, TRUST_PROXY: '10.0.0.0/8, 192.168.1.1' })
  t.same(gw.trustProxy, ['10.0.0.0/8', '192.168.1.1'])
  t.equal(loadGatewayConfig({ DATA_DIR: dir, TRUST_PROXY: '2' }).trustProxy, 2)
  t.equal(loadGatewayConfig({ DATA_DIR: dir }).trustProxy, 'loopback')
})

t.test('a short JWT secret outside production is allowed with a warning', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cv-config-'))
  const cfg = loadGatewayConfig({ DATA_DIR: dir, JWT_SECRET: 'devsecret' })
  t.equal(cfg.jwtSecret, 'devsecret')
  t.match(cfg.warnings, [/JWT_SECRET is shorter than 64 hex characters/])
})
