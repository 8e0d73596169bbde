import { createPublicKey } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { Redis } from 'ioredis'
import cors from '@fastify/cors'
import fastifyJwt from '@fastify/jwt'
import { request as undiciRequest } from 'undici'
import { TOKEN_AUDIENCE, TOKEN_ISSUER, type GatewayConfig } from '@claraverse/config'
import { createLogger, type Logger } from '@claraverse/logging'
import { createAssertionSigner, jwksDocument } from '@claraverse/identity'
import { createService, DEFAULT_BODY_LIMIT, type Service } from '@claraverse/service-kit'
import { BadRequest } from '@claraverse/errors'
import { loadRevocations, openBus, redisOptions, waitReady, type Bus } from '@claraverse/bus'
import { TierLimiter } from './ratelimit/limiter.js'
import { RevocationCache } from './edge/revocations.js'
import { SocketRegistry } from './edge/sockets.js'
import { edgePipeline } from './edge/pipeline.js'
import { securityHeaders } from './edge/security-headers.js'
import { proxyRoutes } from './routes/proxy.js'
import { localRoutes } from './routes/local.js'
import { registerGatewayMetrics } from './metrics.js'

const REVOCATION_RESCAN_MS = 5_000

export interface GatewayDeps {
  logger?: Logger
  /** A shared bus (embedded mode); otherwise one is opened from REDIS_URL. */
  bus?: Bus
}

export interface Gateway extends Service {
  limiter: TierLimiter
  sockets: SocketRegistry
  revocations: RevocationCache
}

async function upstreamHealthy(base: string): Promise<void> {
  const res = await undiciRequest(`${base}/health`, { headersTimeout: 1500, bodyTimeout: 1500 })
  await res.body.dump()
  if (res.statusCode !== 200) throw new Error(`health ${res.statusCode}`)
}

/** The edge: everything a client reaches passes through this instance. */
export async function buildApp(config: GatewayConfig, deps: GatewayDeps = {}): Promise<Gateway> {
  const logger = deps.logger ?? createLogger({ name: 'gateway', level: config.logLevel })
  if (!config.signingKey) throw new Error('gateway needs IDENTITY_SIGNING_KEY')
  // Its own connection: no offline queue, short timeouts, so a Redis outage never holds a request.
  const redis = config.redisUrl
    ? new Redis(config.redisUrl, { ...redisOptions, commandTimeout: 250, enableAutoPipelining: true })
    : undefined
  redis?.on('error', (err: Error) => logger.debug({ err: { message: err.message } }, 'gateway Redis connection error'))
  // Without an offline queue, commands sent before the first connection fail: wait for it (bounded).
  if (redis) await waitReady(redis, 3000).catch(() => logger.warn('Redis not reachable at start; rate limits use the fail mode until it is'))
  const bus = deps.bus ?? openBus(config.redisUrl, logger)

  const app = createService({
    name: 'gateway', logger, trustProxy: config.trustProxy,
    readiness: [
      ...(redis ? [{ name: 'redis', check: () => redis.ping() }] : []),
      { name: 'auth', check: () => upstreamHealthy(config.upstreams.auth) },
      { name: 'app', check: () => upstreamHealthy(config.upstreams.app) },
    ],
  }) as Gateway

  const limiter = new TierLimiter(redis, config.rateLimitFailMode, logger)
  const revocations = new RevocationCache(config.accessTokenTtl + 60)
  const sockets = new SocketRegistry((o) => revocations.isRevoked(o.sub, o.sid, o.iat))
  app.decorate('limiter', limiter)
  app.decorate('sockets', sockets)
  app.decorate('revocations', revocations)
  const { upstreamDuration } = registerGatewayMetrics(app.metrics.registry, { limiter, sockets, revocations })

  const onRevoked = (event: Parameters<RevocationCache['add']>[0]): void => {
    revocations.add(event)
    const closed = sockets.revoke(event)
    if (closed > 0) logger.info({ closed }, 'closed revoked WebSockets')
  }
  await bus.subscribe('auth.revoked', onRevoked)
  // Revocations recorded in Redis: read at start (a gateway that starts late still knows them),
  // after every reconnect, and every few seconds, because pub/sub drops what is published while
  // a subscriber is reconnecting.
  const reload = async (): Promise<void> => {
    if (!redis) return
    try {
      for (const e of await loadRevocations(redis)) onRevoked(e)
    } catch (err) {
      logger.warn({ err: { message: (err as Error).message } }, 'could not load revocations from Redis')
    }
  }
  await reload()
  redis?.on('ready', () => { void reload() })
  const rescan = redis ? setInterval(() => { void reload() }, REVOCATION_RESCAN_MS).unref() : undefined
  const pruner = setInterval(() => revocations.prune(), 60_000).unref()
  // Before the server stops accepting: the proxy would otherwise close sockets without a code.
  app.addHook('preClose', async () => { sockets.closeAll() })
  app.addHook('onClose', async () => {
    clearInterval(pruner)
    clearInterval(rescan)
    await bus.unsubscribe('auth.revoked', onRevoked)
    if (!deps.bus) await bus.close()
    redis?.disconnect()
  })

  // @fastify/cors answers a malformed preflight in text/plain; refuse it with the error body first.
  app.addHook('onRequest', async (request) => {
    if (request.method !== 'OPTIONS') return
    if (request.headers.origin === undefined || request.headers['access-control-request-method'] === undefined) {
      throw new BadRequest('Invalid preflight request: Origin and Access-Control-Request-Method are required')
    }
  })
  await app.register(cors, {
    origin: config.allowedOrigins, // exact strings only: no prefix, suffix or regex matching
    credentials: true,
    maxAge: 600,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    exposedHeaders: ['ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'retry-after', 'x-request-id'],
  })
  // Node answers "100 Continue" on its own unless someone listens for checkContinue: then a client
  // would upload a body the pipeline refuses from its Content-Length anyway. Only a body the
  // gateway may take is invited; an oversized one gets the 413 without being sent.
  const bodyLimit = app.initialConfig.bodyLimit ?? DEFAULT_BODY_LIMIT
  app.server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    if (Number(req.headers['content-length']) > bodyLimit) res.setHeader('connection', 'close')
    else res.writeContinue()
    app.server.emit('request', req, res)
  })
  const headers = securityHeaders()
  app.addHook('onRequest', async (_request, reply) => { reply.headers(headers) })
  await app.register(fastifyJwt, {
    secret: config.jwtSecret,
    verify: { algorithms: ['HS256'], allowedIss: TOKEN_ISSUER, allowedAud: TOKEN_AUDIENCE, requiredClaims: ['sub', 'sid', 'exp', 'iat', 'typ'] }, // verified tokens are cached by the pipeline
  })
  // Tokens and account data must never sit in a shared cache, whatever the upstream said.
  app.addHook('onSend', async (request, reply) => {
    if (request.url.startsWith('/api/auth') || request.url.startsWith('/api/admin')) reply.header('cache-control', 'no-store')
  })
  const signer = createAssertionSigner({ privateKey: config.signingKey })
  await app.register(edgePipeline, { config, limiter, revocations, sockets, signer, verifyJwt: (t) => app.jwt.verify(t) })
  await app.register(localRoutes, { limiter, jwks: jwksDocument([createPublicKey(config.signingKey)]) })
  await app.register(proxyRoutes, { config, sockets, upstreamDuration })
  return app
}
