import Fastify, { LogController, type FastifyRequest, type FastifyReply, type FastifyInstance, type FastifyBaseLogger, type RawServerDefault, type FastifyServerOptions } from 'fastify'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { Logger } from '@claraverse/logging'
import { ForbiddenKey, InvalidJson, NotFound, ShuttingDown, toErrorReply } from '@claraverse/errors'
import { parse as parseJson } from 'secure-json-parse'
import { requestId } from './request-id.js'
import { runChecks, type ReadinessCheck } from './readiness.js'
import { validatorCompiler } from './validation.js'
import { lazyChildLogger } from './lazy-logger.js'
import { ServiceMetrics } from './metrics.js'
import { traceOf, type TraceContext } from './trace.js'
import { clientErrorHandler } from './client-error.js'

const kTrace = Symbol('claraverse.trace')

/** The trace of a raw request, decided once: the logger factory and handlers share it. */
function traceOfRaw(raw: IncomingMessage): TraceContext {
  const holder = raw as IncomingMessage & { [kTrace]?: TraceContext }
  return (holder[kTrace] ??= traceOf(raw.headers))
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A liveness or readiness probe: no identity, no rate limit, no request log. */
    probe?: true
  }
}

export type Service = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, TypeBoxTypeProvider>

export interface ServiceOptions {
  name: string
  logger: Logger
  /** Largest accepted body in bytes (DESIGN §12: 1 MiB). */
  bodyLimit?: number
  /** Trusted proxies: CIDRs/addresses, `loopback`, or a hop count. Never `true`. */
  trustProxy?: string | string[] | number
  /** Dependencies that `/ready` checks; `/health` only says the process answers. */
  readiness?: ReadinessCheck[]
}

declare module 'fastify' {
  interface FastifyRequest {
    /** W3C trace context of this hop (DESIGN §13): forwarded to every service this request calls. */
    trace: TraceContext
  }
  interface FastifyInstance {
    /** Prometheus metrics of this service; served by `runServer` when METRICS_PORT is set. */
    metrics: ServiceMetrics
  }
}

// A hop count trusts that many proxies in front of us, counted from our side.
function trustFunction(t: ServiceOptions['trustProxy']): FastifyServerOptions['trustProxy'] {
  if (typeof t === 'number') return (_address: string, hop: number) => hop < t
  return t ?? false
}

export const DEFAULT_BODY_LIMIT = 1024 * 1024

/**
 * The Fastify instance every service starts from: request ids, the error body of DESIGN §12,
 * JSON 404s, body limits, prototype-poisoning refusal, `/health` and `/ready`.
 */
export function createService(opts: ServiceOptions): Service {
  const bodyLimit = opts.bodyLimit ?? DEFAULT_BODY_LIMIT
  const app = Fastify({
    loggerInstance: opts.logger as FastifyBaseLogger,
    // The request's logger is made first, so its trace is decided here: every line it writes,
    // "incoming request" included, carries the trace in every service the request passes through.
    childLoggerFactory: (logger, bindings, options, raw) => {
      const trace = traceOfRaw(raw)
      const ids = { trace_id: trace.traceId, span_id: trace.spanId, ...(trace.parentSpanId ? { parent_span_id: trace.parentSpanId } : {}) }
      return lazyChildLogger(logger, { ...bindings, ...ids }, options)
    },
    genReqId: requestId,
    logController: new LogController({
      requestIdLogLabel: 'request_id',
      // Probes hit these every few seconds; their lines would drown the rest.
      disableRequestLogging: (request) => request.url === '/health' || request.url === '/ready',
    }),
    frameworkErrors: (err, request, reply) => {
      const { statusCode, body } = toErrorReply(err, String(request.id))
      void (reply as FastifyReply).code(statusCode).send(body)
    },
    // What Node's parser refuses (smuggling shapes, heads over 16 KiB) gets the error body too.
    clientErrorHandler,
    bodyLimit,
    trustProxy: trustFunction(opts.trustProxy),
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    // Fastify's own 503 while closing has no error body: the hook below answers instead.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    routerOptions: { maxParamLength: 200 },
  }).withTypeProvider<TypeBoxTypeProvider>()
  app.setValidatorCompiler(validatorCompiler())

  // A POST with Content-Type: application/json and no body is valid where the body is optional.
  // Route schemas for optional bodies accept null (see optionalBody).
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit }, (_req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8')
    if (text.trim() === '') {
      done(null, undefined)
      return
    }
    try {
      done(null, parseJson(text, { protoAction: 'error', constructorAction: 'error' }))
    } catch (err) {
      done(/forbidden/i.test((err as Error).message) ? new ForbiddenKey() : new InvalidJson(), undefined)
    }
  })

  app.decorateRequest('trace', { getter(this: FastifyRequest) { return traceOfRaw(this.raw) } })
  let closing = false
  app.addHook('preClose', async () => { closing = true })
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id)
    if (closing) {
      // Draining: in-flight requests finish; new ones go elsewhere, on a new connection.
      reply.header('connection', 'close')
      throw new ShuttingDown()
    }
  })
  const metrics = new ServiceMetrics(opts.name)
  metrics.instrument(app)
  app.decorate('metrics', metrics)

  app.setErrorHandler((err, request, reply) => {
    const { statusCode, body } = toErrorReply(err, request.id)
    if (statusCode >= 500) request.log.error({ err }, 'request failed')
    else request.log.info({ code: body.code, status: statusCode }, 'request refused')
    return reply.code(statusCode).type('application/json; charset=utf-8').send(body)
  })

  app.setNotFoundHandler((request, reply) => {
    const { statusCode, body } = toErrorReply(new NotFound(`No route for ${request.method} ${request.url.split('?')[0]}`), request.id)
    return reply.code(statusCode).send(body)
  })

  const checks = opts.readiness ?? []
  app.get('/health', { config: { identity: false, probe: true }, logLevel: 'warn' }, async () => ({ status: 'ok', service: opts.name }))
  app.get('/ready', { config: { identity: false, probe: true }, logLevel: 'warn' }, async (request, reply) => {
    const report = await runChecks(checks)
    if (report.ready) return { status: 'ready', service: opts.name, checks: report.checks }
    return reply.code(503).send({ error: 'Not ready', code: 'NOT_READY', request_id: request.id, checks: report.checks })
  })

  return app
}
