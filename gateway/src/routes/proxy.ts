import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import replyFrom from '@fastify/reply-from'
import httpProxy from '@fastify/http-proxy'
import type { IncomingHttpHeaders } from 'node:http'
import type { GatewayConfig } from '@claraverse/config'
import { IDENTITY_HEADER } from '@claraverse/identity'
import { NotFound } from '@claraverse/errors'
import { traceparentOf } from '@claraverse/service-kit'
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

// Credentials the gateway consumed: the upstream gets the identity assertion instead.
const consumed = ['authorization', 'x-api-key', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'forwarded']

type ProxiedRequest = Pick<FastifyRequest, 'ip' | 'protocol' | 'id' | 'edge' | 'trace'>

function upstreamHeaders(request: ProxiedRequest, headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = { ...headers }
  for (const h of consumed) delete out[h]
  out['x-forwarded-for'] = request.ip
  out['x-forwarded-proto'] = request.protocol
  if (headers.host !== undefined) out['x-forwarded-host'] = headers.host
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
    scope.addContentTypeParser('*', (_request, payload, done) => { done(null, payload) })
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
        onResponse: (_request, r, res) => {
          observe(res.statusCode)
          void r.send(res.stream)
        },
        onError: (r, { error }) => {
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
