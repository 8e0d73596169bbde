import t, { type Test } from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { createService, type Service } from '@claraverse/service-kit'
import { createLogger } from '@claraverse/logging'
import { imageProxyRoutes, IMAGE_CSP, type ImageProxyOptions } from '../../../services/app/src/image-proxy/index.js'
import { ETAG, LAST_MODIFIED, PNG, SVG, closedPort, startUpstream, tableLookup } from './image-proxy-upstream.js'

// Every name a test uses answers from this table: no real DNS, and nothing ever leaves loopback
// (non-loopback addresses here are refused before any connection is attempted).
const DNS: Record<string, string[]> = {
  'images.test': ['127.0.0.1'],
  'evil.test': ['10.0.0.5'],
  'loopback.test': ['127.0.0.1'],
  'v6loop.test': ['::1'],
  'metadata.test': ['169.254.169.254'],
  'mapped.test': ['::ffff:127.0.0.1'],
  'cgnat.test': ['100.64.0.1'],
  localhost: ['127.0.0.1', '::1'],
}
const BLOCKED_MESSAGE = 'The image URL points to an address that is not allowed'

async function proxyApp(t: Test, opts: ImageProxyOptions): Promise<Service> {
  const app = createService({ name: 'app', logger: createLogger({ name: 'app', level: 'silent' }) })
  await app.register(imageProxyRoutes, opts)
  await app.ready()
  t.teardown(() => app.close())
  return app
}

function fetchVia(app: Service, url: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'GET', url: '/api/proxy/image', query: { url }, headers })
}

/** A refusal is always the DESIGN §12 JSON body with a stable code, never a crash or an image. */
function refused(t: Test, res: LightMyRequestResponse, status: number, code: string): Record<string, unknown> {
  t.equal(res.statusCode, status, `status ${status} (${code})`)
  t.match(res.headers['content-type'], /^application\/json/)
  const body = res.json<Record<string, unknown>>()
  t.equal(body['code'], code)
  t.type(body['error'], 'string')
  t.type(body['request_id'], 'string')
  return body
}

const img = await startUpstream(t) // allowed by host:port
const other = await startUpstream(t) // reached only as images.test (a bare-host entry)
const canary = await startUpstream(t) // never allowed: any connection to it is a failure
const deadPort = await closedPort()
const lookup = tableLookup(DNS)
const app = await proxyApp(t, {
  allowHosts: [`127.0.0.1:${img.port}`, `127.0.0.1:${deadPort}`, 'images.test'],
  lookup, timeoutMs: 1000, maxBytes: 256 * 1024,
})

function neverConnected(t: Test): void {
  t.equal(canary.connections, 0, 'the refused loopback server was never connected to')
}

t.test('a PNG from an allowed origin is served with cache headers and nosniff', async (t) => {
  const res = await fetchVia(app, `${img.origin}/img.png`)
  t.equal(res.statusCode, 200)
  t.same(res.rawPayload, PNG)
  t.equal(res.headers['content-type'], 'image/png')
  t.equal(res.headers['x-content-type-options'], 'nosniff')
  t.equal(res.headers['cache-control'], 'public, max-age=86400')
  t.equal(res.headers['etag'], ETAG)
  t.equal(res.headers['last-modified'], LAST_MODIFIED)
  t.equal(res.headers['content-security-policy'], IMAGE_CSP)
  t.equal(res.headers['content-length'], String(PNG.length))
  t.notOk(res.headers['set-cookie'])
})

t.test('client credentials and identity never reach the image host', async (t) => {
  const before = img.requests.length
  const res = await fetchVia(app, `${img.origin}/img.png#fragment`, {
    cookie: 'session=secret', authorization: 'Bearer secret', 'x-identity': 'assertion', 'x-forwarded-for': '10.1.2.3', 'x-request-id': 'abc',
  })
  t.equal(res.statusCode, 200)
  t.equal(img.requests.length, before + 1)
  const seen = img.requests.at(-1)
  t.equal(seen?.url, '/img.png', 'the fragment stays on our side')
  t.equal(seen?.headers['user-agent'], 'ClaraVerse-ImageProxy/1.0')
  for (const name of ['cookie', 'authorization', 'x-identity', 'x-forwarded-for', 'x-request-id']) {
    t.notOk(seen?.headers[name], `${name} not forwarded`)
  }
})

t.test('cache lifetime is ours or the upstream one when shorter', async (t) => {
  const cases: Array<[string, string]> = [
    ['max-age=60', 'public, max-age=60'],
    ['public, max-age=999999', 'public, max-age=86400'],
    ['no-store', 'no-store'],
    ['no-cache', 'no-store'],
    ['private, max-age=30', 'private, max-age=30'],
    ['max-age=junk', 'public, max-age=86400'],
  ]
  for (const [upstream, ours] of cases) {
    const res = await fetchVia(app, `${img.origin}/cached.png?cc=${encodeURIComponent(upstream)}`)
    t.equal(res.statusCode, 200)
    t.equal(res.headers['cache-control'], ours, `upstream "${upstream}"`)
  }
})

t.test('SVG is served inline under a sandboxing CSP', async (t) => {
  const res = await fetchVia(app, `${img.origin}/pic.svg`)
  t.equal(res.statusCode, 200)
  t.equal(res.headers['content-type'], 'image/svg+xml')
  t.equal(res.headers['content-security-policy'], "default-src 'none'; style-src 'unsafe-inline'; sandbox")
  t.equal(res.headers['content-disposition'], 'inline')
  t.equal(res.headers['x-content-type-options'], 'nosniff')
  t.equal(res.payload, SVG)
})

t.test('SVG can be refused outright', async (t) => {
  const strict = await proxyApp(t, { allowHosts: [`127.0.0.1:${img.port}`], lookup, svg: 'refuse' })
  refused(t, await fetchVia(strict, `${img.origin}/pic.svg`), 415, 'APP_IMAGE_UNSUPPORTED_TYPE')
  t.equal((await fetchVia(strict, `${img.origin}/img.png`)).statusCode, 200)
})

t.test('only image types are served, and only when the bytes agree', async (t) => {
  refused(t, await fetchVia(app, `${img.origin}/page.html`), 415, 'APP_IMAGE_UNSUPPORTED_TYPE')
  refused(t, await fetchVia(app, `${img.origin}/no-type`), 415, 'APP_IMAGE_UNSUPPORTED_TYPE')
  refused(t, await fetchVia(app, `${img.origin}/gzip.png`), 415, 'APP_IMAGE_UNSUPPORTED_TYPE')
  refused(t, await fetchVia(app, `${img.origin}/html-as.png`), 415, 'APP_IMAGE_INVALID_CONTENT')
  refused(t, await fetchVia(app, `${img.origin}/html-as.svg`), 415, 'APP_IMAGE_INVALID_CONTENT')
  refused(t, await fetchVia(app, `${img.origin}/empty.png`), 415, 'APP_IMAGE_INVALID_CONTENT')
  const gif = await fetchVia(app, `${img.origin}/gif.png`)
  t.equal(gif.statusCode, 200)
  t.equal(gif.headers['content-type'], 'image/gif', 'served as what the bytes are')
})

t.test('oversized images are refused, declared or not', async (t) => {
  refused(t, await fetchVia(app, `${img.origin}/huge.png`), 413, 'APP_IMAGE_TOO_LARGE')
  refused(t, await fetchVia(app, `${img.origin}/huge-chunked.png`), 413, 'APP_IMAGE_TOO_LARGE')
})

t.test('a slow image host times out with 504 within the deadline', async (t) => {
  for (const path of ['/slow-headers.png', '/slow-body.png']) {
    const started = Date.now()
    const res = await fetchVia(app, `${img.origin}${path}`)
    const elapsed = Date.now() - started
    refused(t, res, 504, 'APP_IMAGE_TIMEOUT')
    t.ok(elapsed >= 900 && elapsed < 3000, `${path}: answered after ${elapsed} ms (deadline 1000 ms)`)
  }
})

t.test('upstream errors become 502 with stable codes', async (t) => {
  refused(t, await fetchVia(app, `${img.origin}/status?code=404`), 502, 'APP_IMAGE_UPSTREAM_STATUS')
  refused(t, await fetchVia(app, `${img.origin}/status?code=500`), 502, 'APP_IMAGE_UPSTREAM_STATUS')
  refused(t, await fetchVia(app, `${img.origin}/status?code=204`), 502, 'APP_IMAGE_UPSTREAM_STATUS')
  refused(t, await fetchVia(app, `${img.origin}/redirect-no-location`), 502, 'APP_IMAGE_UPSTREAM_STATUS')
  const down = refused(t, await fetchVia(app, `http://127.0.0.1:${deadPort}/img.png`), 502, 'APP_IMAGE_UPSTREAM_FAILED')
  t.notMatch(String(down['error']), /ECONNREFUSED|127\.0\.0\.1/, 'no internal details')
  refused(t, await fetchVia(app, 'http://nowhere.test/img.png'), 502, 'APP_IMAGE_UPSTREAM_FAILED')
})

t.test('blocked addresses are refused before connecting, however they are spelled', async (t) => {
  const p = canary.port
  const hosts = [
    // IPv4 literals
    '127.0.0.1', '127.1', '127.255.255.254', '0.0.0.0', '0', '10.0.0.1', '172.16.0.1', '172.31.255.255', '192.168.1.1',
    '169.254.169.254', '100.64.0.1', '100.127.255.254', '224.0.0.1', '255.255.255.255', '240.0.0.1', '198.18.0.1', '192.0.2.1',
    // other spellings of loopback and metadata that the URL parser normalises
    '2130706433', '0177.0.0.1', '0x7f000001', '0x7f.1', '017700000001', '0x7F.0.0.1', '127.000.000.001', '0xa9.0xfe.0xa9.0xfe', '3232235777',
    // IPv6 literals and IPv6 forms embedding private IPv4
    '[::1]', '[::]', '[0:0:0:0:0:0:0:1]', '[fc00::1]', '[fd00:ec2::254]', '[fe80::1]', '[ff02::1]', '[::ffff:127.0.0.1]', '[::ffff:7f00:1]',
    '[0:0:0:0:0:ffff:127.0.0.1]', '[::ffff:169.254.169.254]', '[::ffff:10.0.0.1]', '[64:ff9b::7f00:1]', '[64:ff9b::a9fe:a9fe]',
    '[2002:7f00:1::1]', '[2002:a9fe:a9fe::]', '[::127.0.0.1]',
    // names: local by definition, or resolving (through the injected lookup) to blocked addresses
    'localhost', 'LOCALHOST', 'localhost.', 'api.localhost', 'evil.test', 'loopback.test', 'v6loop.test', 'metadata.test', 'mapped.test', 'cgnat.test',
  ]
  for (const host of hosts) {
    for (const scheme of ['http', 'https']) {
      const body = refused(t, await fetchVia(app, `${scheme}://${host}:${p}/img.png`), 403, 'APP_IMAGE_ADDRESS_BLOCKED')
      t.equal(body['error'], BLOCKED_MESSAGE, `${scheme}://${host} says only "not allowed"`)
    }
  }
  refused(t, await fetchVia(app, 'http://169.254.169.254/latest/meta-data/'), 403, 'APP_IMAGE_ADDRESS_BLOCKED')
  refused(t, await fetchVia(app, 'http://evil.test/img.png'), 403, 'APP_IMAGE_ADDRESS_BLOCKED')
  neverConnected(t)
})

t.test('an allowed host:port allows that port only; a bare host allows any port', async (t) => {
  t.equal((await fetchVia(app, `${img.origin}/img.png`)).statusCode, 200)
  refused(t, await fetchVia(app, `http://127.0.0.1:${canary.port}/img.png`), 403, 'APP_IMAGE_ADDRESS_BLOCKED')
  refused(t, await fetchVia(app, `http://2130706433:${canary.port}/img.png`), 403, 'APP_IMAGE_ADDRESS_BLOCKED')
  t.equal((await fetchVia(app, `http://2130706433:${img.port}/img.png`)).statusCode, 200, 'same origin, other spelling')
  t.equal((await fetchVia(app, `http://images.test:${img.port}/img.png`)).statusCode, 200)
  const before = other.connections
  t.equal((await fetchVia(app, `http://IMAGES.test:${other.port}/img.png`)).statusCode, 200)
  t.ok(other.connections > before)
  refused(t, await fetchVia(app, `http://localhost:${img.port}/img.png`), 403, 'APP_IMAGE_ADDRESS_BLOCKED')
  neverConnected(t)
})

t.test('redirects are followed, each hop checked again', async (t) => {
  const redirect = (to: string, status = 302): string => `${img.origin}/redirect?status=${status}&to=${encodeURIComponent(to)}`
  for (const status of [301, 302, 303, 307, 308]) {
    const res = await fetchVia(app, redirect('/img.png', status))
    t.equal(res.statusCode, 200, `${status} followed`)
    t.same(res.rawPayload, PNG)
  }
  t.equal((await fetchVia(app, `${img.origin}/chain/5`)).statusCode, 200, 'five redirects are allowed')
  refused(t, await fetchVia(app, `${img.origin}/chain/6`), 502, 'APP_IMAGE_TOO_MANY_REDIRECTS')
  refused(t, await fetchVia(app, `${img.origin}/loop`), 502, 'APP_IMAGE_TOO_MANY_REDIRECTS')
  t.equal((await fetchVia(app, redirect(`http://images.test:${other.port}/img.png`))).statusCode, 200, 'to another allowed origin')

  const blocked = [
    `http://127.0.0.1:${canary.port}/img.png`, 'http://169.254.169.254/latest/meta-data/', `http://[::ffff:7f00:1]:${canary.port}/img.png`,
    `http://2130706433:${canary.port}/img.png`, `http://localhost:${canary.port}/img.png`, `http://loopback.test:${canary.port}/img.png`,
    'http://evil.test/img.png', `https://10.0.0.1/img.png`,
  ]
  for (const to of blocked) refused(t, await fetchVia(app, redirect(to)), 403, 'APP_IMAGE_ADDRESS_BLOCKED')
  for (const to of ['file:///etc/passwd', `gopher://127.0.0.1:${canary.port}/_INFO`, `ftp://127.0.0.1:${canary.port}/x.png`, `http://user:pw@127.0.0.1:${img.port}/img.png`]) {
    refused(t, await fetchVia(app, redirect(to)), 400, 'APP_IMAGE_INVALID_URL')
  }
  neverConnected(t)
})

t.test('a zero redirect budget refuses the first redirect', async (t) => {
  const strict = await proxyApp(t, { allowHosts: [`127.0.0.1:${img.port}`], lookup, maxRedirects: 0 })
  refused(t, await fetchVia(strict, `${img.origin}/chain/1`), 502, 'APP_IMAGE_TOO_MANY_REDIRECTS')
  t.equal((await fetchVia(strict, `${img.origin}/img.png`)).statusCode, 200)
})

t.test('only http and https URLs without credentials', async (t) => {
  const bad = [
    'file:///etc/passwd', `ftp://127.0.0.1:${img.port}/img.png`, 'data:image/png;base64,iVBORw0KGgo=', 'javascript:alert(1)',
    `gopher://127.0.0.1:${canary.port}/_INFO`, `ws://127.0.0.1:${img.port}/`, 'blob:http://example.com/x', 'about:blank',
    `//127.0.0.1:${img.port}/img.png`, '/img.png', 'not a url', 'http://', 'http://[::1',
    `http://user:pass@127.0.0.1:${img.port}/img.png`, `http://user@127.0.0.1:${img.port}/img.png`, `http://:pass@127.0.0.1:${img.port}/img.png`,
  ]
  for (const url of bad) refused(t, await fetchVia(app, url), 400, 'APP_IMAGE_INVALID_URL')
})

t.test('the url parameter is required, bounded and alone', async (t) => {
  refused(t, await app.inject({ method: 'GET', url: '/api/proxy/image' }), 400, 'VALIDATION_FAILED')
  refused(t, await app.inject({ method: 'GET', url: '/api/proxy/image?url=' }), 400, 'VALIDATION_FAILED')
  refused(t, await fetchVia(app, `${img.origin}/img.png?pad=${'a'.repeat(5000)}`), 400, 'VALIDATION_FAILED')
  const twice = `/api/proxy/image?url=${encodeURIComponent(`${img.origin}/img.png`)}&url=${encodeURIComponent('http://10.0.0.1/')}`
  refused(t, await app.inject({ method: 'GET', url: twice }), 400, 'VALIDATION_FAILED')
  // An image URL whose own query was not encoded: refused, not fetched without its tail.
  refused(t, await app.inject({ method: 'GET', url: `/api/proxy/image?url=${img.origin}/cached.png?cc=max-age=1&x=y` }), 400, 'VALIDATION_FAILED')
})

t.test('many refusals at once: still JSON, no crash, no connection', async (t) => {
  const urls = ['http://127.0.0.1/', 'http://evil.test/', `${img.origin}/page.html`, `${img.origin}/huge.png`, 'file:///x', `${img.origin}/img.png`]
  const results = await Promise.all(Array.from({ length: 30 }, (_, i) => fetchVia(app, urls[i % urls.length] ?? '')))
  t.same([...new Set(results.map((r) => r.statusCode))].sort(), [200, 400, 403, 413, 415])
  const health = await app.inject({ method: 'GET', url: '/health' })
  t.equal(health.statusCode, 200)
})

t.test('the registered route is public and takes GET only', async (t) => {
  refused(t, await app.inject({ method: 'POST', url: '/api/proxy/image', query: { url: `${img.origin}/img.png` } }), 404, 'NOT_FOUND')
})

t.test('bad options stop the service at boot', async (t) => {
  const bare = createService({ name: 'app', logger: createLogger({ name: 'app', level: 'silent' }) })
  t.teardown(() => bare.close())
  await t.rejects(async () => { await bare.register(imageProxyRoutes, { allowHosts: ['http://example.com/'] }) }, /IMAGE_PROXY_ALLOW_HOSTS/)
  const second = createService({ name: 'app', logger: createLogger({ name: 'app', level: 'silent' }) })
  t.teardown(() => second.close())
  await t.rejects(async () => { await second.register(imageProxyRoutes, { allowHosts: [], maxBytes: 0 }) }, /maxBytes/)
})

t.test('after everything: the never-allowed server saw no connection at all', async (t) => {
  neverConnected(t)
  t.equal(canary.requests.length, 0)
})
