import { connect } from 'node:net'

/** One HTTP/1.1 response as it came off the wire. */
export interface RawResponse {
  status: number
  /** Lower-cased names; repeated headers joined with ", ". */
  headers: Record<string, string>
  body: Buffer
}

export interface Exchange {
  /** Final responses in order (1xx interim responses are left out). */
  responses: RawResponse[]
  /** Bytes after the last complete response: a response cut short, or garbage. */
  trailing: Buffer
  /** The server closed the connection (or reset it) before the deadline. */
  closed: boolean
  timedOut: boolean
  /** A socket error (ECONNRESET, EPIPE…), if any. */
  error: string | undefined
  ms: number
}

export interface ExchangeOptions {
  timeoutMs?: number
  /** Sent after the head, 64 KiB at a time; writing stops as soon as the server answers or closes. */
  body?: Buffer
  /** Stop (and report) once this many final responses have arrived, without waiting for a close. */
  responses?: number
  /** The request was HEAD: responses carry no body whatever their headers say. */
  head?: boolean
}

/**
 * Sends bytes exactly as given (no client library in the way, so malformed requests stay
 * malformed) and collects everything the server answers until it closes the connection,
 * `responses` responses have arrived, or the deadline passes.
 */
export function exchange(port: number, head: Buffer | string, opts: ExchangeOptions = {}): Promise<Exchange> {
  const timeoutMs = opts.timeoutMs ?? 10_000
  const started = Date.now()
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    let received = 0
    let error: string | undefined
    let settled = false
    const finish = (closed: boolean, timedOut: boolean): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      const { responses, trailing } = parseResponses(Buffer.concat(chunks, received), opts.head === true)
      resolve({ responses, trailing, closed, timedOut, error, ms: Date.now() - started })
    }
    const timer = setTimeout(() => finish(false, true), timeoutMs)
    socket.on('data', (d: Buffer) => {
      chunks.push(d)
      received += d.length
      if (opts.responses !== undefined && parseResponses(Buffer.concat(chunks, received), opts.head === true).responses.length >= opts.responses) finish(false, false)
    })
    socket.on('error', (err: NodeJS.ErrnoException) => { error = err.code ?? err.message })
    socket.on('close', () => finish(true, false))
    socket.write(head)
    const body = opts.body
    if (body === undefined) return
    let offset = 0
    const pump = (): void => {
      while (offset < body.length && received === 0 && !socket.destroyed) {
        const next = body.subarray(offset, offset + 65_536)
        offset += next.length
        if (!socket.write(next)) {
          socket.once('drain', pump)
          return
        }
      }
    }
    pump()
  })
}

const CRLF = Buffer.from('\r\n')
const CRLF2 = Buffer.from('\r\n\r\n')

/** Splits a byte stream into HTTP/1.1 responses (Content-Length, chunked, or to the end). */
export function parseResponses(buf: Buffer, head = false): { responses: RawResponse[]; trailing: Buffer } {
  const responses: RawResponse[] = []
  let pos = 0
  while (pos < buf.length) {
    const end = buf.indexOf(CRLF2, pos)
    if (end === -1) break
    const lines = buf.subarray(pos, end).toString('latin1').split('\r\n')
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')
    if (!m) break
    const status = Number(m[1])
    const headers: Record<string, string> = {}
    for (const line of lines.slice(1)) {
      const i = line.indexOf(':')
      if (i <= 0) continue
      const name = line.slice(0, i).trim().toLowerCase()
      const value = line.slice(i + 1).trim()
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`
    }
    let next = end + 4
    let body: Buffer = Buffer.alloc(0)
    if (status >= 100 && status < 200) {
      pos = next
      if (status === 101) break // the connection is no longer HTTP
      continue
    }
    if (head || status === 204 || status === 304) {
      // no body
    } else if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
      const parts: Buffer[] = []
      let complete = false
      for (;;) {
        const lineEnd = buf.indexOf('\r\n', next)
        if (lineEnd === -1) break
        const size = parseInt(buf.subarray(next, lineEnd).toString('latin1'), 16)
        if (Number.isNaN(size)) break
        if (size === 0) {
          // No trailers: CRLF right away; else trailer lines up to an empty line.
          const trailerEnd = buf.subarray(lineEnd + 2, lineEnd + 4).equals(CRLF) ? lineEnd : buf.indexOf(CRLF2, lineEnd + 2)
          if (trailerEnd === -1) break
          next = trailerEnd + 4
          complete = true
          break
        }
        if (lineEnd + 2 + size + 2 > buf.length) break
        parts.push(buf.subarray(lineEnd + 2, lineEnd + 2 + size))
        next = lineEnd + 2 + size + 2
      }
      if (!complete) break
      body = Buffer.concat(parts)
    } else if (headers['content-length'] !== undefined) {
      const length = Number(headers['content-length'])
      if (next + length > buf.length) break
      body = buf.subarray(next, next + length)
      next += length
    } else {
      body = buf.subarray(next)
      next = buf.length
    }
    responses.push({ status, headers, body })
    pos = next
  }
  return { responses, trailing: buf.subarray(pos) }
}

/** A request head: the request line, `Host`, the given header lines, and `Connection: close`. */
export function requestHead(method: string, target: string, headers: Array<[string, string]> = [], extra = ''): string {
  const lines = [`${method} ${target} HTTP/1.1`, 'Host: 127.0.0.1', ...headers.map(([k, v]) => `${k}: ${v}`), 'Connection: close']
  return `${lines.join('\r\n')}\r\n${extra}\r\n`
}
