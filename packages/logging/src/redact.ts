/**
 * Everything that may carry a credential. Paths are pino `redact` paths; `*` matches one level,
 * so request bodies logged under any key are covered as well as headers.
 */
const secretHeaders = ['authorization', 'cookie', 'set-cookie', 'x-api-key', 'x-identity', 'sec-websocket-protocol', 'proxy-authorization']
const secretFields = ['password', 'current_password', 'new_password', 'token', 'access_token', 'refresh_token',
  'secret', 'jwt_secret', 'api_key', 'apiKey', 'masterKey', 'master_key', 'key', 'privateKey',
  'private_key', 'plaintext', 'credentials']

export const redactPaths: string[] = [
  ...['req.headers', 'res.headers', 'headers', '*.headers'].flatMap((p) => secretHeaders.map((h) => `${p}["${h}"]`)),
  ...secretFields.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]),
]

export const REDACTED = '[REDACTED]'

// Query parameters that carry tokens (the web client sends `?token=` on WebSocket upgrades).
const secretQuery = /([?&](?:token|access_token|refresh_token|api_key)=)[^&#]*/gi

/** Removes token-bearing query parameters from a URL before it is logged. */
export function redactUrl(url: string): string {
  return url.replace(secretQuery, `$1${REDACTED}`)
}
