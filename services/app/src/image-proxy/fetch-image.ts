import { request, type Dispatcher } from 'undici'
import { isDefinedCode } from '@claraverse/errors'
import {
  ImageInvalidUrl, ImageTimeout, ImageTooLarge, ImageTooManyRedirects, ImageUnsupportedType, ImageUpstreamFailed, ImageUpstreamStatus,
} from './errors.js'
import { declaredImageType, type ImageType } from './image-types.js'
import { checkTarget, type AllowList } from './target.js'

export interface FetchSettings {
  dispatcher: Dispatcher
  allow: AllowList
  maxBytes: number
  timeoutMs: number
  maxRedirects: number
  userAgent: string
  /** False to refuse SVG (it is otherwise served under a sandboxing CSP). */
  acceptSvg: boolean
}

export interface FetchedImage {
  declared: ImageType
  body: Buffer
  /** Upstream caching headers, as received (single values only). */
  cacheControl: string | undefined
  etag: string | undefined
  lastModified: string | undefined
}

const REDIRECTS = new Set([301, 302, 303, 307, 308])
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'])

type Headers = Dispatcher.ResponseData['headers']

function single(headers: Headers, name: string): string | undefined {
  const value = headers[name]
  return typeof value === 'string' ? value : undefined
}

/**
 * Fetches an image, following redirects by hand so that every hop goes through `checkTarget`
 * (and, when connecting, through the guarded connector). One deadline covers all hops and the
 * body, so a server that drips bytes cannot hold a request open past `timeoutMs`.
 */
export async function fetchImage(url: URL, s: FetchSettings): Promise<FetchedImage> {
  const controller = new AbortController()
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    controller.abort()
  }, s.timeoutMs)
  try {
    let current = url
    for (let hop = 0; ; hop++) {
      checkTarget(current, s.allow)
      const target = new URL(current)
      target.hash = ''
      // A fresh, fixed header set: nothing of the client's (cookies, authorization, identity) goes out.
      const res = await request(target, {
        dispatcher: s.dispatcher,
        method: 'GET',
        headers: { 'user-agent': s.userAgent, accept: 'image/*', 'accept-encoding': 'identity' },
        signal: controller.signal,
      })
      try {
        if (REDIRECTS.has(res.statusCode)) {
          if (hop >= s.maxRedirects) throw new ImageTooManyRedirects()
          current = redirectTarget(single(res.headers, 'location'), current)
          discard(res.body)
          continue
        }
        return await accept(res, s)
      } catch (err) {
        discard(res.body)
        throw err
      }
    }
  } catch (err) {
    throw publicError(err, timedOut)
  } finally {
    clearTimeout(timer)
  }
}

// Destroying an unread undici body emits an abort error; nobody is listening for it any more.
function discard(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => {})
  body.destroy()
}

function redirectTarget(location: string | undefined, base: URL): URL {
  if (location === undefined) throw new ImageUpstreamStatus()
  if (!URL.canParse(location, base.href)) throw new ImageInvalidUrl('Image URL redirects to an invalid URL')
  return new URL(location, base)
}

async function accept(res: Dispatcher.ResponseData, { maxBytes, acceptSvg }: FetchSettings): Promise<FetchedImage> {
  // 200 and 203 only: 204 has no image and 206 would be a fragment we never asked for.
  if (res.statusCode !== 200 && res.statusCode !== 203) throw new ImageUpstreamStatus()
  const declared = declaredImageType(single(res.headers, 'content-type'))
  if (!declared || (declared === 'image/svg+xml' && !acceptSvg)) throw new ImageUnsupportedType()
  // We asked for identity; compressed bytes would be served under the wrong meaning (or be a bomb).
  const encoding = single(res.headers, 'content-encoding')?.trim().toLowerCase()
  if (encoding !== undefined && encoding !== '' && encoding !== 'identity') throw new ImageUnsupportedType()
  const length = Number(single(res.headers, 'content-length') ?? NaN)
  if (Number.isFinite(length) && length > maxBytes) throw new ImageTooLarge()
  return {
    declared,
    body: await readLimited(res.body, maxBytes),
    cacheControl: single(res.headers, 'cache-control'),
    etag: single(res.headers, 'etag'),
    lastModified: single(res.headers, 'last-modified'),
  }
}

// Counting while reading, since Content-Length may be absent or a lie (chunked, or a server
// that keeps going): the upstream is cut off as soon as the limit is passed.
async function readLimited(body: AsyncIterable<Buffer>, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body) {
    size += chunk.length
    if (size > maxBytes) throw new ImageTooLarge()
    chunks.push(chunk)
  }
  return Buffer.concat(chunks, size)
}

/** Our own errors pass; anything from the network becomes a stable code with the cause kept for the log. */
function publicError(err: unknown, timedOut: boolean): unknown {
  if (timedOut) return new ImageTimeout()
  const e = err as { code?: unknown; cause?: { code?: unknown } } | null
  if (isDefinedCode(e?.code)) return err
  if (isDefinedCode(e?.cause?.code)) return e?.cause
  if (typeof e?.code === 'string' && TIMEOUT_CODES.has(e.code)) return new ImageTimeout()
  return new ImageUpstreamFailed({ cause: err })
}
