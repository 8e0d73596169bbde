import { defineError } from '@claraverse/errors'

// Stable codes for every way a proxied image can be refused. Messages are safe to show: none of
// them says what a name resolved to, so the proxy cannot be used to map the internal network.

export const ImageInvalidUrl = defineError('APP_IMAGE_INVALID_URL', '%s', 400)
export const ImageAddressBlocked = defineError('APP_IMAGE_ADDRESS_BLOCKED', 'The image URL points to an address that is not allowed', 403)
export const ImageUnsupportedType = defineError('APP_IMAGE_UNSUPPORTED_TYPE', 'The URL does not point to a supported image type', 415)
export const ImageInvalidContent = defineError('APP_IMAGE_INVALID_CONTENT', 'The response is not a valid image of a supported type', 415)
// 413 rather than 5xx: the request asked for something too big; retrying will not help.
export const ImageTooLarge = defineError('APP_IMAGE_TOO_LARGE', 'The image is larger than the proxy allows', 413)
export const ImageTooManyRedirects = defineError('APP_IMAGE_TOO_MANY_REDIRECTS', 'The image URL redirects too many times', 502)
export const ImageUpstreamStatus = defineError('APP_IMAGE_UPSTREAM_STATUS', 'The image host answered with an error', 502)
export const ImageUpstreamFailed = defineError('APP_IMAGE_UPSTREAM_FAILED', 'The image could not be fetched', 502)
export const ImageTimeout = defineError('APP_IMAGE_TIMEOUT', 'The image host did not answer in time', 504)
