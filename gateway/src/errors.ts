import { defineError } from '@claraverse/errors'

export const AuthRequired = defineError('GW_AUTH_REQUIRED', 'Authentication required', 401)
export const TokenInvalid = defineError('GW_TOKEN_INVALID', 'Invalid or expired token', 401)
export const TokenRevoked = defineError('GW_TOKEN_REVOKED', 'This session has ended, please log in again', 401)
export const AdminRequired = defineError('GW_ADMIN_REQUIRED', 'Administrator access required', 403)
export const OriginForbidden = defineError('GW_ORIGIN_FORBIDDEN', 'Origin not allowed', 403)
export const RateLimitUnavailable = defineError('GW_RATE_LIMIT_UNAVAILABLE', 'Service temporarily unavailable', 503)
export const UpstreamUnavailable = defineError('GW_UPSTREAM_UNAVAILABLE', 'Service temporarily unavailable', 503)
export const UpstreamTimeout = defineError('GW_UPSTREAM_TIMEOUT', 'Upstream service timed out', 504)
export const UpstreamFailed = defineError('GW_UPSTREAM_FAILED', 'Upstream service failed', 502)
export const BadRateLimitKey = defineError('GW_BAD_RATE_LIMIT_KEY', 'Rate-limit key must look like user_abc123 or <tier>:<address>', 400)
export const BadPath = defineError('GW_BAD_PATH', 'Malformed or non-canonical path', 400)
export const BadHandshake = defineError('GW_BAD_WEBSOCKET_HANDSHAKE', '%s', 400)
