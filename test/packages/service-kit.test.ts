import t from 'tap'
import { Type } from '@sinclair/typebox'
import { createLogger } from '@claraverse/logging'
import { clientErrorHandler, createService, optionalBody } from '@claraverse/service-kit'
import { Conflict } from '@claraverse/errors'
import Fastify, { type InjectOptions } from 'fastify'
import { exchange } from '../helpers/raw-http.js'

function build(readiness: Array<{ name: string; check: () => Promise<unknown> }> = []) {
  const app = createService({ name: 'kit', logger: createLogger({ name: 'kit', level: 'silent' }), readiness, bodyLimit: 1024 })
  app.post('/optional', { schema: { body: optionalBody(Type.Object({ a: Type.Optional(Type.Number()) }, { additionalProperties: false })) } },
    async (request) => ({ body: request.body ?? null }))
  app.post('/required', { schema: { body: Type.Object({ email: Type.String() }, { additionalProperties: false }) } },
    async (request) => ({ email: request.body.email }))
  app.get('/conflict', async () => { throw new Conflict('That name is taken') })
  app.get('/crash', async () => { throw new Error('secret connection string mongodb://admin:pw@db') })
  return app
}

const json = { 'content-type': 'application/json' }

t.test('error bodies follow DESIGN §12', async (t) => {
  const app = build()
  const cases: Array<[string, InjectOptions, number, string]> = [
    ['unknown route', { url: '/nowhere' }, 404, 'NOT_FOUND'],
    ['malformed JSON', { method: 'POST', url: '/required', headers: json, payload: '{"email":' }, 400, 'INVALID_JSON'],
    ['wrong type', { method: 'POST', url: '/required', headers: json, payload: { email: 42 } }, 400, 'VALIDATION_FAILED'],
    ['string for a number', { method: 'POST', url: '/optional', headers: json, payload: { a: '1' } }, 400, 'VALIDATION_FAILED'],
    ['missing field', { method: 'POST', url: '/required', headers: json, payload: {} }, 400, 'VALIDATION_FAILED'],
    ['unknown field', { method: 'POST', url: '/required', headers: json, payload: { email: 'a', admin: true } }, 400, 'VALIDATION_FAILED'],
    ['empty body where required', { method: 'POST', url: '/required', headers: json, payload: '' }, 400, 'VALIDATION_FAILED'],
    ['__proto__ key', { method: 'POST', url: '/required', headers: json, payload: '{"email":"a","__proto__":{"admin":true}}' }, 400, 'FORBIDDEN_KEY'],
    ['constructor.prototype key', { method: 'POST', url: '/required', headers: json, payload: '{"email":"a","constructor":{"prototype":{"x":1}}}' }, 400, 'FORBIDDEN_KEY'],
    ['oversized body', { method: 'POST', url: '/required', headers: json, payload: JSON.stringify({ email: 'x'.repeat(5000) }) }, 413, 'PAYLOAD_TOO_LARGE'],
    ['unsupported content type', { method: 'POST', url: '/required', headers: { 'content-type': 'application/xml' }, payload: '<a/>' }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['defined 4xx', { url: '/conflict' }, 409, 'CONFLICT'],
    ['crash', { url: '/crash' }, 500, 'INTERNAL_ERROR'],
  ]
  for (const [name, req, status, code] of cases) {
    const res = await app.inject(req)
    t.equal(res.statusCode, status, `${name}: status`)
    const body = res.json()
    t.equal(body.code, code, `${name}: code`)
    t.type(body.error, 'string', `${name}: human message`)
    t.equal(body.request_id, res.headers['x-request-id'], `${name}: request id matches the header`)
  }
  const crash = await app.inject({ url: '/crash' })
  t.notMatch(crash.body, /mongodb|admin|pw/, '5xx bodies carry no internal details')
  t.equal(crash.json().error, 'Internal server error')
  await app.close()
})

t.test('a JSON POST with an empty body is accepted where the body is optional', async (t) => {
  const app = build()
  for (const payload of ['', '   ']) {
    const res = await app.inject({ method: 'POST', url: '/optional', headers: json, payload })
    t.equal(res.statusCode, 200)
    t.same(res.json(), { body: null })
  }
  const none = await app.inject({ method: 'POST', url: '/optional' })
  t.equal(none.statusCode, 200, 'no content type at all')
  t.same((await app.inject({ method: 'POST', url: '/optional', headers: json, payload: { a: 1 } })).json(), { body: { a: 1 } })
  await app.close()
})

t.test('request ids: a plain caller id is kept, anything else replaced', async (t) => {
  const app = build()
  const kept = await app.inject({ url: '/health', headers: { 'x-request-id': 'abc-123' } })
  t.equal(kept.headers['x-request-id'], 'abc-123')
  const replaced = await app.inject({ url: '/health', headers: { 'x-request-id': 'bad id\twith "stuff"' } })
  t.match(replaced.headers['x-request-id'], /^[0-9a-f-]{36}$/)
  await app.close()
})

t.test('health and readiness', async (t) => {
  let redisUp = true
  const app = build([{ name: 'redis', check: async () => { if (!redisUp) throw new Error('down') } }, { name: 'slow', check: () => new Promise(() => {}) }])
  t.same((await app.inject({ url: '/health' })).json(), { status: 'ok', service: 'kit' })
  const notReady = await app.inject({ url: '/ready' })
  t.equal(notReady.statusCode, 503, 'a check that never answers is failing, not a hang')
  t.same(notReady.json().checks, { redis: 'ok', slow: 'failing' })
  t.equal(notReady.json().code, 'NOT_READY')
  redisUp = false
  t.same((await app.inject({ url: '/ready' })).json().checks, { redis: 'failing', slow: 'failing' })
  await app.close()
  const fine = build([{ name: 'redis', check: async () => 'PONG' }])
  const ready = await fine.inject({ url: '/ready' })
  t.equal(ready.statusCode, 200)
  t.same(ready.json(), { status: 'ready', service: 'kit', checks: { redis: 'ok' } })
  await fine.close()
})

t.test('metrics: requests by route pattern and status, on a separate port only', async (t) => {
  const app = build()
  await app.inject({ url: '/health' })
  await app.inject({ url: '/conflict' })
  await app.inject({ url: '/no/such/path?token=secret' })
  t.equal((await app.inject({ url: '/metrics' })).statusCode, 404, 'not on the service\'s own port')
  const { server, url } = await app.metrics.serve(0, '127.0.0.1')
  t.teardown(() => { server.close(); return app.close() })
  const res = await fetch(`${url}/metrics`)
  t.equal(res.status, 200)
  const text = await res.text()
  t.match(text, /http_requests_total\{method="GET",route="\/health",status="200",service="kit"\} 1/)
  t.match(text, /http_requests_total\{method="GET",route="\/conflict",status="409",service="kit"\} 1/)
  t.match(text, /route="unmatched",status="404"/, 'unknown paths share one label: no cardinality explosion')
  t.notMatch(text, /secret|no\/such/, 'raw URLs never become labels')
  t.match(text, /process_cpu_user_seconds_total/)
  t.equal((await fetch(`${url}/other`)).status, 404)
})

t.test('clientErrorHandler: what Node\'s HTTP parser refuses gets the error body too, and the connection closes', async (t) => {
  const app = Fastify({ clientErrorHandler })
  app.post('/', async () => ({ reached: true }))
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => app.close())
  const port = (app.server.address() as { port: number }).port
  const cases: Array<[string, string, number, string]> = [
    ['Content-Length with Transfer-Encoding', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'BAD_REQUEST'],
    ['a NUL in a header value', 'POST / HTTP/1.1\r\nHost: x\r\nX-A: a\u0000b\r\n\r\n', 400, 'BAD_REQUEST'],
    ['a 20 KB header', `POST / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'HEADERS_TOO_LARGE'],
  ]
  for (const [name, bytes, status, code] of cases) {
    const x = await exchange(port, bytes)
    t.equal(x.responses.length, 1, `${name}: one answer, nothing after it`)
    const res = x.responses[0]!
    t.equal(res.status, status, name)
    t.match(res.headers['content-type'], /^application\/json/)
    const body = JSON.parse(res.body.toString()) as Record<string, unknown>
    t.match(body, { error: String, code, request_id: String }, name)
    t.equal(res.headers['x-request-id'], body['request_id'])
    t.ok(x.closed, 'closed')
  }
})
