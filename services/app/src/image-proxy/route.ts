import type { FastifyPluginAsync } from 'fastify'
import type { LookupFunction } from 'node:net'
import { Type } from '@sinclair/typebox'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
// Brings the `config.identity` route option (declared by the identity plugin) into scope.
import type {} from '@claraverse/identity'
import { createImageAgent } from './connector.js'
import { ImageInvalidContent } from './errors.js'
import { fetchImage, type FetchSettings } from './fetch-image.js'
import { servedType } from './image-types.js'
import { imageHeaders } from './response-headers.js'
import { AllowList, MAX_URL_LENGTH, parseImageUrl } from './target.js'

export interface ImageProxyOptions {
  /** IMAGE_PROXY_ALLOW_HOSTS: `host` (any port) or `host:port` origins exempt from the address checks. */
  allowHosts: string[]
  /** DNS lookup used for every connection (tests inject one; defaults to `dns.lookup`). */
  lookup?: LookupFunction
  /** Largest image accepted, in bytes (default 10 MiB). */
  maxBytes?: number
  /** Deadline for the whole fetch, redirects and body included (default 10 s). */
  timeoutMs?: number
  /** Redirects followed before giving up (default 5). */
  maxRedirects?: number
  /** SVG is served under a sandboxing CSP by default; `refuse` turns it away instead. */
  svg?: 'sandbox' | 'refuse'
  userAgent?: string
}

export const ImageQuery = Type.Object({
  url: Type.String({ minLength: 1, maxLength: MAX_URL_LENGTH, description: 'Absolute http(s) URL of the image' }),
}, { additionalProperties: false }) // an unencoded `&` in the image URL is refused, not silently cut

function positiveInteger(name: string, value: number | undefined, fallback: number, min = 1): number {
  const v = value ?? fallback
  if (!Number.isInteger(v) || v < min) throw new Error(`image proxy: ${name} must be an integer >= ${min}, got ${String(value)}`)
  return v
}

/** `GET /api/proxy/image?url=`: public (the gateway rate-limits it), SSRF-guarded. */
export const imageProxyRoutes: FastifyPluginAsync<ImageProxyOptions> = async (instance, opts) => {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>()
  const allow = new AllowList(opts.allowHosts)
  const timeoutMs = positiveInteger('timeoutMs', opts.timeoutMs, 10_000)
  const maxBytes = positiveInteger('maxBytes', opts.maxBytes, 10 * 1024 * 1024)
  const maxRedirects = positiveInteger('maxRedirects', opts.maxRedirects, 5, 0)
  const dispatcher = createImageAgent({ allow, lookup: opts.lookup, timeoutMs })
  const settings: FetchSettings = {
    dispatcher,
    allow,
    timeoutMs,
    maxBytes,
    maxRedirects,
    userAgent: opts.userAgent ?? 'ClaraVerse-ImageProxy/1.0',
    acceptSvg: opts.svg !== 'refuse',
  }
  app.addHook('onClose', async () => { await dispatcher.close() })

  app.get('/api/proxy/image', { config: { identity: false }, schema: { querystring: ImageQuery } }, async (request, reply) => {
    const image = await fetchImage(parseImageUrl(request.query.url), settings)
    // SVG is only ever served when declared as SVG, so a refused SVG never gets this far.
    const type = servedType(image.declared, image.body)
    if (!type) throw new ImageInvalidContent()
    return reply.headers(imageHeaders(type, image)).send(image.body)
  })
}
