import type { IncomingHttpHeaders } from 'node:http'

// RFC 6455 §4.2.1: a base64 16-byte nonce; RFC 7230 tokens for subprotocol names.
const key = /^[+/0-9A-Za-z]{22}==$/
const protocolList = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+(?:[ \t]*,[ \t]*[!#$%&'*+\-.^_`|~0-9A-Za-z]+)*$/

/**
 * What the WebSocket server behind the proxy (ws) would refuse with a text/html 400, checked at
 * the edge so the client gets the JSON error body instead: the same rules, in the same order.
 */
export function handshakeProblem(headers: IncomingHttpHeaders): string | undefined {
  const k = headers['sec-websocket-key']
  if (typeof k !== 'string' || !key.test(k)) return 'Missing or invalid Sec-WebSocket-Key header'
  const version = headers['sec-websocket-version']
  if (version !== '13' && version !== '8') return 'Missing or invalid Sec-WebSocket-Version header'
  const protocols = headers['sec-websocket-protocol']
  if (protocols !== undefined) {
    if (!protocolList.test(protocols)) return 'Invalid Sec-WebSocket-Protocol header'
    const names = protocols.split(/[ \t]*,[ \t]*/)
    if (new Set(names).size !== names.length) return 'Invalid Sec-WebSocket-Protocol header'
  }
  return undefined
}
