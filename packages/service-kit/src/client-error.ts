import { randomUUID } from 'node:crypto'
import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'

/**
 * Fastify's `clientErrorHandler` option. What Node's HTTP parser refuses (broken framing,
 * request-smuggling shapes, heads over 16 KiB, a request that never completes) reaches no route
 * and no hook, so this answers for it. Fastify's default writes `{"error","message","statusCode"}`;
 * this writes the error body of DESIGN §12, with the same statuses, and closes the connection as
 * the default does (the parser cannot continue on it).
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return
  const [status, code, message] =
    err.code === 'HPE_HEADER_OVERFLOW' ? [431, 'HEADERS_TOO_LARGE', 'Request line and headers are too large'] as const
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'REQUEST_TIMEOUT', 'Request timed out'] as const
        : [400, 'BAD_REQUEST', 'Malformed HTTP request'] as const
  const id = randomUUID()
  const body = JSON.stringify({ error: message, code, request_id: id })
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nX-Request-Id: ${id}\r\nConnection: close\r\n\r\n${body}`)
  }
  socket.destroy(err)
}
