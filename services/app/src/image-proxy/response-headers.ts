import type { ImageType } from './image-types.js'

export const MAX_AGE = 86_400

/**
 * Applied to every proxied image. The CSP matters for SVG, which can carry scripts and is served
 * from the API's origin: `sandbox` gives it an opaque origin and `default-src 'none'` stops it
 * loading anything, should a user open it directly. It is harmless on raster images.
 */
export const IMAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"

/** Our day of caching, or the upstream's lifetime when it asks for less. */
export function cacheControl(upstream: string | undefined): string {
  let maxAge = MAX_AGE
  let scope = 'public'
  for (const part of (upstream ?? '').split(',')) {
    const [rawName = '', rawValue] = part.split('=')
    const name = rawName.trim().toLowerCase()
    if (name === 'no-store' || name === 'no-cache') return 'no-store'
    if (name === 'private') scope = 'private'
    if (name === 'max-age') {
      const seconds = Number(rawValue?.trim().replace(/^"|"$/g, ''))
      if (Number.isInteger(seconds) && seconds >= 0) maxAge = Math.min(maxAge, seconds)
    }
  }
  return `${scope}, max-age=${maxAge}`
}

// Validators are copied only when they are plain printable text: anything else would be refused
// by Node when set, and has no business in a response of ours.
const printable = (value: string | undefined): value is string => value !== undefined && /^[\x20-\x7e]{1,256}$/.test(value)

export function imageHeaders(type: ImageType, upstream: { cacheControl?: string | undefined; etag?: string | undefined; lastModified?: string | undefined }): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': type,
    'x-content-type-options': 'nosniff',
    'content-security-policy': IMAGE_CSP,
    'content-disposition': 'inline',
    'cache-control': cacheControl(upstream.cacheControl),
  }
  if (printable(upstream.etag)) headers['etag'] = upstream.etag
  if (printable(upstream.lastModified)) headers['last-modified'] = upstream.lastModified
  return headers
}
