import createError, { type FastifyErrorConstructor } from '@fastify/error'

/** Every error this system sends has a stable code; clients switch on it, humans read `error`. */
const registry = new Map<string, FastifyErrorConstructor>()

/**
 * Defines an error whose message is safe to show to clients, even for 5xx statuses.
 * Services define their own with a prefix (AUTH_, VAULT_, GW_, APP_); shared ones have none.
 */
export function defineError(code: string, message: string, statusCode: number): FastifyErrorConstructor {
  if (registry.has(code)) throw new Error(`error code ${code} is defined twice`)
  const ctor = createError(code, message, statusCode)
  registry.set(code, ctor)
  return ctor
}

export function isDefinedCode(code: unknown): code is string {
  return typeof code === 'string' && registry.has(code)
}

export const BadRequest = defineError('BAD_REQUEST', '%s', 400)
export const ValidationFailed = defineError('VALIDATION_FAILED', '%s', 400)
export const InvalidJson = defineError('INVALID_JSON', 'Request body is not valid JSON', 400)
export const ForbiddenKey = defineError('FORBIDDEN_KEY', 'Request body contains a forbidden key (__proto__ or constructor.prototype)', 400)
export const Unauthorized = defineError('UNAUTHORIZED', '%s', 401)
export const Forbidden = defineError('FORBIDDEN', '%s', 403)
export const NotFound = defineError('NOT_FOUND', '%s', 404)
export const Conflict = defineError('CONFLICT', '%s', 409)
export const PayloadTooLarge = defineError('PAYLOAD_TOO_LARGE', 'Request body is too large', 413)
export const UnsupportedMediaType = defineError('UNSUPPORTED_MEDIA_TYPE', 'Unsupported content type', 415)
export const RateLimited = defineError('RATE_LIMITED', 'Too many requests, retry later', 429)
export const Internal = defineError('INTERNAL_ERROR', 'Internal server error', 500)
export const BadGateway = defineError('BAD_GATEWAY', 'Upstream service failed', 502)
export const ShuttingDown = defineError('SHUTTING_DOWN', 'Service is shutting down, retry', 503)
export const ServiceUnavailable = defineError('SERVICE_UNAVAILABLE', '%s', 503)
export const GatewayTimeout = defineError('GATEWAY_TIMEOUT', 'Upstream service timed out', 504)
