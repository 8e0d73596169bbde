import fp from 'fastify-plugin'
import { Counter } from 'prom-client'
import type { Redis } from 'ioredis'
import type { AuthConfig } from '@claraverse/config'
import type { Bus } from '@claraverse/bus'
import type { Store } from '@claraverse/store'
import { Users } from '../domain/users.js'
import { Sessions } from '../domain/sessions.js'
import { Tokens } from '../domain/tokens.js'
import { Passwords } from '../domain/passwords.js'
import { LoginThrottle, RedisCounters, StoreCounters } from '../domain/throttle.js'
import { AuditLog } from '../domain/audit.js'
import { Revoker } from '../domain/revoker.js'

/** Everything the routes need, built once per app from the store, the bus and Redis. */
export interface AuthCore {
  config: AuthConfig
  users: Users
  sessions: Sessions
  tokens: Tokens
  passwords: Passwords
  throttle: LoginThrottle
  audit: AuditLog
  revoker: Revoker
  bus: Bus
  /** Refresh-token reuse detections (each revoked a session family). */
  reuseDetected: Counter
  /** Refused logins by reason: unknown_email, wrong_password, account_disabled, throttled. */
  loginFailures: Counter<'reason'>
  /** Revokes every token of a user and remembers when, so tokens issued next are not caught by it. */
  revokeUser(userId: string): Promise<number>
}

declare module 'fastify' {
  interface FastifyInstance {
    auth: AuthCore
  }
}

export interface CoreOptions {
  config: AuthConfig
  store: Store
  bus: Bus
  redis: Redis | undefined
}

export const authCore = fp<CoreOptions>(async (app, { config, store, bus, redis }) => {
  const counters = redis ? new RedisCounters(redis) : await StoreCounters.open(store)
  const registers = [app.metrics.registry]
  const revocations = new Counter({ name: 'auth_revocations_total', help: 'Revocations published', labelNames: ['scope'], registers })
  const reuseDetected = new Counter({ name: 'auth_refresh_reuse_detected_total', help: 'Refresh-token reuse detections', registers })
  const loginFailures = new Counter({ name: 'auth_login_failures_total', help: 'Refused logins, by reason', labelNames: ['reason'], registers })
  const core: AuthCore = {
    config,
    users: await Users.open(store),
    sessions: await Sessions.open(store, config.refreshReuseGrace),
    tokens: new Tokens({ secret: config.jwtSecret, accessTtl: config.accessTokenTtl }),
    passwords: new Passwords(config.argon2, config.passwordMinLength),
    throttle: new LoginThrottle(counters, app.log),
    audit: await AuditLog.open(store, app.log),
    revoker: new Revoker(bus, redis, config.accessTokenTtl, app.log, (scope) => revocations.inc({ scope })),
    reuseDetected,
    loginFailures,
    bus,
    async revokeUser(userId) {
      const notBefore = await core.revoker.user(userId)
      await core.users.update(userId, { revoked_before: notBefore })
      return notBefore
    },
  }
  app.addHook('onClose', async () => { core.revoker.close() })
  app.decorate('auth', core)
}, { name: 'auth-core' })
