import { Redis } from 'ioredis'
import cookie from '@fastify/cookie'
import type { AuthConfig } from '@claraverse/config'
import { createLogger, type Logger } from '@claraverse/logging'
import { requireIdentity, verifierFromTrust, type AssertionVerifier } from '@claraverse/identity'
import { createService, type Service } from '@claraverse/service-kit'
import { openStore, type Store } from '@claraverse/store'
import { openBus, redisOptions, type Bus } from '@claraverse/bus'
import { authCore } from './plugins/core.js'
import { publicRoutes } from './routes/public.js'
import { accountRoutes } from './routes/account.js'
import { adminRoutes } from './routes/admin.js'

export interface AuthDeps {
  logger?: Logger
  verifier?: AssertionVerifier
  /** Given resources are shared and left open on close; missing ones are made from config. */
  store?: Store
  bus?: Bus
  redis?: Redis | null
}

export async function buildApp(config: AuthConfig, deps: AuthDeps = {}): Promise<Service> {
  const logger = deps.logger ?? createLogger({ name: 'auth', level: config.logLevel })
  const verifier = deps.verifier ?? await verifierFromTrust('auth', config.identity)
  const store = deps.store ?? await openStore({ service: 'auth', mongodbUri: config.mongodbUri, dataDir: config.dataDir })
  const redis = deps.redis === undefined ? (config.redisUrl ? new Redis(config.redisUrl, redisOptions) : undefined) : deps.redis ?? undefined
  redis?.on('error', (err: Error) => logger.warn({ err: { message: err.message } }, 'auth Redis connection error'))
  const bus = deps.bus ?? openBus(config.redisUrl, logger)

  const app = createService({
    name: 'auth', logger, trustProxy: config.trustProxy,
    readiness: [
      { name: 'store', check: () => store.ping() },
      ...(redis ? [{ name: 'redis', check: () => redis.ping() }] : []),
    ],
  })
  app.addHook('onClose', async () => {
    if (!deps.bus) await bus.close()
    if (!deps.store) await store.close()
    if (deps.redis === undefined) redis?.disconnect()
  })
  // Tokens and user data must never sit in a shared cache.
  app.addHook('onSend', async (_request, reply) => {
    reply.header('cache-control', 'no-store')
  })
  await app.register(cookie)
  await app.register(requireIdentity, { verifier })
  await app.register(authCore, { config, store, bus, redis })
  await app.register(publicRoutes)
  await app.register(accountRoutes)
  await app.register(adminRoutes)
  return app
}
