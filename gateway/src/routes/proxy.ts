import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import replyFrom from '@fastify/reply-from'
import httpProxy from '@fastify/http-proxy'
import type { IncomingHttpHeaders } from 'node:http'
import type { GatewayConfig } from '@claraverse/config'
import { IDENTITY_HEADER } from '@claraverse/identity'
import { Transform, type TransformCallback } from 'node:stream'
import { NotFound, PayloadTooLarge } from '@claraverse/errors'
import { DEFAULT_BODY_LIMIT, traceparentOf } from '@claraverse/service-kit'
import type { Histogram } from 'prom-client'
import type { SocketRegistry } from '../edge/sockets.js'
import { selectProtocol, stripTokenQuery } from '../edge/tokens.js'
import { UpstreamFailed, UpstreamTimeout, UpstreamUnavailable } from '../errors.js'

export interface ProxyOptions {
  config: GatewayConfig
  sockets: SocketRegistry
  /** Time to the upstream's response headers (or its failure), by upstream and status. */
  upstreamDuration: Histogram<'upstream' | 'status'>
}

// Credentials the gateway consumed (the upstream gets the identity assertion instead), and
// headers about the client's own connection, which undici refuses to send (a client could turn
// any request into a 502 with them): `expect` (the gateway reads the whole body anyway) and the
// hop-by-hop ones.
const consumed = ['authorization', 'x-api-key', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'forwarded', 'expect', 'keep-alive', 'upgrade', 'proxy-connection']

// RFC 9110 §7.6.1: hop-by-hop response headers, plus any the upstream names in `Connection`.
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-authenticate']

const kOverLimit = Symbol('claraverse.bodyOverLimit')
type CountedRequest = FastifyRequest & { [kOverLimit]?: true }

/**
 * Counts a streamed request body: a chunked upload has no Content-Length to refuse up front, so
 * past the limit the stream fails and the request is marked, and the answer is a 413 instead of
 * whatever the upstream's early refusal and the broken pipe would make of it.
 */
function limitBody(request: CountedRequest, limit: number): Transform {
  let seen = 0
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      seen += chunk.length
      if (seen > limit) {
        request[kOverLimit] = true
        done(new PayloadTooLarge())
        return
      }
      done(null, chunk)
    },
  })
}

/** Hop-by-hop headers describe the upstream's connection, not the client's: never copied over. */
function clientHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = { ...headers }
  const named = typeof headers.connection === 'string' ? headers.connection.split(',').map((h) => h.trim().toLowerCase()) : []
  for (const h of [...HOP_BY_HOP, ...named]) delete out[h]
  return out
}

type ProxiedRequest = Pick<FastifyRequest, 'ip' | 'protocol' | 'id' | 'edge' | 'trace' | 'headers'>

function upstreamHeaders(request: ProxiedRequest, headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = { ...headers }
  for (const h of consumed) delete out[h]
  out['x-forwarded-for'] = request.ip
  out['x-forwarded-proto'] = request.protocol
  // reply-from has already set `host` to the upstream's: the client's is on the request.
  if (request.headers.host !== undefined) out['x-forwarded-host'] = request.headers.host
  out['x-request-id'] = request.id
  out['traceparent'] = traceparentOf(request.trace) // the client's trace, continued by the gateway's span
  const assertion = request.edge?.assertion
  if (assertion !== undefined) out[IDENTITY_HEADER] = assertion
  return out
}

/**
 * HTTP: one catch-all route proxies every table entry through a shared undici agent (one
 * keep-alive pool per upstream), streaming bodies both ways. WebSocket: @fastify/http-proxy
 * for `/ws/chat`, with the assertion added to the upstream handshake (its default header
 * rewrite would forward only cookies) and the token removed from the query.
 */
export const proxyRoutes: FastifyPluginAsync<ProxyOptions> = async (app, { config, sockets, upstreamDuration }) => {
  const upstreams = config.upstreams

  await app.register(async (scope) => {
    // Bodies stay streams: the gateway forwards them without parsing (the upstream validates).
    scope.removeAllContentTypeParsers()
    const bodyLimit = app.initialConfig.bodyLimit ?? DEFAULT_BODY_LIMIT
    scope.addContentTypeParser('*', (request, payload, done) => {
      // A declared length was checked by the pipeline; only a chunked body needs counting.
      if (request.headers['content-length'] !== undefined) return done(null, payload)
      const counted = limitBody(request, bodyLimit)
      payload.on('error', (err) => counted.destroy(err))
      done(null, payload.pipe(counted))
    })
    await scope.register(replyFrom, {
      undici: { connections: 128, pipelining: 1, keepAliveTimeout: 60_000, connect: { timeout: 2_000 }, headersTimeout: 30_000, bodyTimeout: 60_000 },
      retryMethods: [], // a down upstream answers 503 at once instead of being retried
      disableRequestLogging: true,
    })
    scope.all('/api/*', async (request, reply) => {
      const rule = request.edge?.rule
      const upstream = rule && 'upstream' in rule ? rule.upstream : undefined
      const target = upstream ? upstreams[upstream] : undefined
      const path = request.url.split('?', 1)[0] ?? ''
      // The pipeline matched the table already; no upstream means no proxied route here.
      if (!upstream || !target) throw new NotFound(`No route for ${request.method} ${path}`)
      const started = performance.now()
      const observe = (status: number): void => { upstreamDuration.observe({ upstream, status: String(status) }, (performance.now() - started) / 1000) }
      // Only the path: reply-from then copies the query string byte for byte instead of decoding it.
      return reply.from(target + path, {
        rewriteRequestHeaders: upstreamHeaders,
        rewriteHeaders: clientHeaders,
        onResponse: (_request, r, res) => {
          observe(res.statusCode)
          void r.send(res.stream)
        },
        onError: (r, { error }) => {
          if ((request as CountedRequest)[kOverLimit]) {
            // The failed pipe left the client's stream paused: drain it, or the connection stalls.
            request.raw.resume()
            observe(413)
            void r.code(413).send(new PayloadTooLarge())
            return
          }
          // Not `request.raw.destroyed`: that is true once the body has been read.
          if (request.raw.socket?.destroyed === true) {
            // The client went away mid-request: nobody to answer, and nothing failed upstream.
            request.log.info('client closed the connection before the upstream answered')
            r.hijack()
            return
          }
          const code = `${(error as { code?: string }).code ?? ''} ${((error as { cause?: { code?: string } }).cause)?.code ?? ''}`
          const status = (error as { statusCode?: number }).statusCode
          request.log.warn({ upstream, code, status }, 'upstream request failed')
          const err = status === 504 || /TIMEOUT/.test(code) ? new UpstreamTimeout() : status === 503 || /ECONNREFUSED|ENOTFOUND|ECONNRESET|UNAVAILABLE/.test(code) ? new UpstreamUnavailable() : new UpstreamFailed()
          observe(err.statusCode ?? 502)
          void r.send(err)
        },
      })
    })
  })

  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers() // the proxy brings its own pass-through parsers
    await scope.register(httpProxy, {
    upstream: upstreams.app,
    prefix: '/ws/chat',
    rewritePrefix: '/ws/chat',
    websocket: true,
    httpMethods: ['GET'],
    wsServerOptions: { handleProtocols: (offered: Set<string>) => selectProtocol(offered), maxPayload: 1024 * 1024 },
    // @fastify/http-proxy supports rewriteRequestHeaders here but its types omit it.
    wsClientOptions: {
      queryString: (search: string) => stripTokenQuery(search),
      rewriteRequestHeaders: (_headers: Record<string, string>, request: FastifyRequest) => {
        const h: Record<string, string> = { 'x-request-id': request.id, 'x-forwarded-for': request.ip }
        const assertion = request.edge?.assertion
        if (assertion !== undefined) h[IDENTITY_HEADER] = assertion
        h['traceparent'] = traceparentOf(request.trace)
        return h
      },
    } as unknown as Record<string, never>,
    wsHooks: {
      onConnect: (_context: unknown, source: Parameters<SocketRegistry['attach']>[0]) => { sockets.attach(source) },
      onDisconnect: (_context: unknown, source: Parameters<SocketRegistry['detach']>[0]) => { sockets.detach(source) },
    },
    })
  })
}
