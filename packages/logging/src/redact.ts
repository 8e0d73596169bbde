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
const secretParams = new Set(['token', 'access_token', 'refresh_token', 'api_key'])

function paramName(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' ')).toLowerCase()
  } catch {
    return raw.toLowerCase()
  }
}

/**
 * Removes token-bearing query parameters from a URL before it is logged. Names are compared
 * decoded, as the server's query parser reads them (`%74oken` is `token`).
 */
export function redactUrl(url: string): string {
  const q = url.indexOf('?')
  if (q < 0) return url
  const hash = url.indexOf('#', q)
  const query = url.slice(q + 1, hash < 0 ? undefined : hash)
  const redacted = query.split('&').map((pair) => {
    const eq = pair.indexOf('=')
    const name = eq < 0 ? pair : pair.slice(0, eq)
    return secretParams.has(paramName(name)) ? `${name}=${REDACTED}` : pair
  }).join('&')
  return `${url.slice(0, q)}?${redacted}${hash < 0 ? '' : url.slice(hash)}`
}
