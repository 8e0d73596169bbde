import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http'
import { isIP, type AddressInfo, type LookupFunction } from 'node:net'
import type { Test } from 'tap'

/** A real 1×1 PNG. */
export const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64')
export const SVG = '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"><script>alert(document.cookie)</script><rect width="1" height="1"/></svg>'
export const GIF = Buffer.concat([Buffer.from('GIF89a'), Buffer.alloc(20)])
export const ETAG = '"png-v1"'
export const LAST_MODIFIED = 'Wed, 21 Oct 2015 07:28:00 GMT'

export interface Upstream {
  port: number
  /** `http://127.0.0.1:<port>` */
  origin: string
  /** TCP connections accepted so far: a refused address must leave this at zero. */
  connections: number
  /** Request headers of every request received, in order. */
  requests: Array<{ url: string; headers: IncomingHttpHeaders }>
}

function png(res: ServerResponse, headers: Record<string, string> = {}): void {
  res.writeHead(200, { 'content-type': 'image/png', 'content-length': PNG.length, etag: ETAG, 'last-modified': LAST_MODIFIED, ...headers })
  res.end(PNG)
}

/**
 * An image host on 127.0.0.1 with one path per behaviour the proxy must handle. Timers of the
 * slow paths are cleared when the server closes, so teardown never waits for them.
 */
export async function startUpstream(t: Test): Promise<Upstream> {
  const timers = new Set<NodeJS.Timeout>()
  const later = (ms: number, fn: () => void): void => {
    const timer = setTimeout(() => { timers.delete(timer); fn() }, ms)
    timers.add(timer)
  }
  const state: Upstream = { port: 0, origin: '', connections: 0, requests: [] }
  const server: Server = createServer((req, res) => {
    state.requests.push({ url: req.url ?? '', headers: req.headers })
    const url = new URL(req.url ?? '/', 'http://upstream.invalid')
    const path = url.pathname
    const chain = /^\/chain\/(\d+)$/.exec(path)
    if (chain) { // /chain/<n>: n redirects, then the PNG
      const n = Number(chain[1])
      res.writeHead(302, { location: n > 1 ? `/chain/${n - 1}` : '/img.png' }).end()
      return
    }
    switch (path) {
      case '/img.png': return png(res)
      case '/cached.png': return png(res, { 'cache-control': url.searchParams.get('cc') ?? '' })
      case '/gif.png': // a GIF served as image/png: the bytes decide
        res.writeHead(200, { 'content-type': 'image/png' }).end(GIF)
        return
      case '/pic.svg':
        res.writeHead(200, { 'content-type': 'image/svg+xml; charset=utf-8' }).end(SVG)
        return
      case '/page.html':
        res.writeHead(200, { 'content-type': 'text/html' }).end('<html><script>alert(1)</script></html>')
        return
      case '/html-as.png':
        res.writeHead(200, { 'content-type': 'image/png' }).end('<html><script>alert(1)</script></html>')
        return
      case '/html-as.svg':
        res.writeHead(200, { 'content-type': 'image/svg+xml' }).end('<html><body>not an svg</body></html>')
        return
      case '/no-type':
        res.writeHead(200, { 'content-type': '' }).end(PNG)
        return
      case '/gzip.png':
        res.writeHead(200, { 'content-type': 'image/png', 'content-encoding': 'gzip' }).end(PNG)
        return
      case '/empty.png':
        res.writeHead(200, { 'content-type': 'image/png', 'content-length': 0 }).end()
        return
      case '/huge.png': { // declares its size up front
        const size = 1024 * 1024
        res.writeHead(200, { 'content-type': 'image/png', 'content-length': size })
        res.end(Buffer.concat([PNG, Buffer.alloc(size - PNG.length)]))
        return
      }
      case '/huge-chunked.png': { // no Content-Length: only counting catches it
        res.writeHead(200, { 'content-type': 'image/png' })
        res.write(PNG)
        for (let i = 0; i < 16; i++) res.write(Buffer.alloc(64 * 1024))
        res.end()
        return
      }
      case '/slow-headers.png':
        later(30_000, () => png(res))
        return
      case '/slow-body.png': { // headers at once, then a byte a while
        res.writeHead(200, { 'content-type': 'image/png' })
        res.write(PNG.subarray(0, 8))
        const drip = (): void => later(100, () => { if (!res.destroyed) { res.write(Buffer.alloc(1)); drip() } })
        drip()
        return
      }
      case '/redirect': {
        const to = url.searchParams.get('to') ?? '/img.png'
        res.writeHead(Number(url.searchParams.get('status') ?? 302), { location: to }).end()
        return
      }
      case '/redirect-no-location':
        res.writeHead(302).end()
        return
      case '/loop':
        res.writeHead(301, { location: '/loop' }).end()
        return
      case '/status':
        res.writeHead(Number(url.searchParams.get('code') ?? 500), { 'content-type': 'image/png' }).end(PNG)
        return
      default:
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found')
    }
  })
  server.on('connection', () => { state.connections++ })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  state.port = (server.address() as AddressInfo).port
  state.origin = `http://127.0.0.1:${state.port}`
  t.teardown(async () => {
    for (const timer of timers) clearTimeout(timer)
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })
  return state
}

/** A loopback port with nothing listening (taken, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

/**
 * A DNS lookup answering from a table, so no test ever needs (or reaches) a real resolver.
 * Unknown names fail as real DNS would. `calls` records every name asked for.
 */
export function tableLookup(table: Record<string, string[]>): LookupFunction & { calls: string[] } {
  const calls: string[] = []
  const lookup: LookupFunction = (hostname, options, callback) => {
    calls.push(hostname)
    const all = (table[hostname] ?? []).map((address) => ({ address, family: isIP(address) }))
      .filter((a) => !options.family || a.family === options.family)
    const first = all[0]
    process.nextTick(() => {
      if (!first) callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname }), '')
      else if (options.all) callback(null, all)
      else callback(null, first.address, first.family)
    })
  }
  return Object.assign(lookup, { calls })
}
