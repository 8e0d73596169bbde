import { missingId, routes, type Route } from './routes.js'
import {
  corruptions, deepArray, deepObject, invalidUtf8, malformedJson, pollutingMembers, seeded, unicodeEdges, withMember, wrongShapes, wrongValues,
} from './inputs.js'

/**
 * What a response must look like. Never a 5xx, never silence until the deadline, in every case.
 * - `error`: a request reached Fastify and our code: exactly one 4xx, `Content-Type:
 *   application/json`, and the error body of DESIGN §12 (`error`, `code`, `request_id`, the latter
 *   equal to `x-request-id`); `code`/`status`, when given, exactly.
 * - `refused`: Node's HTTP parser refused the bytes (bad framing, smuggling shapes, control
 *   characters, a head over 16 KiB) before any route or hook ran. Fastify's `clientError` handler
 *   answers: the last response is 400 (431 for oversized heads) and the connection closes; nothing
 *   after the refused bytes is ever answered. A route that answers without reading its body
 *   (GET /health) may answer the request first. NOT exempt from the JSON rule: that handler is
 *   ours to choose (packages/service-kit/src/client-error.ts, used by createService).
 * - `node`: EXEMPT from the JSON rule. Node's HTTP server answers by itself before it emits a
 *   request or a client error, so no Fastify code runs: HTTP/1.1 without Host (400, empty body),
 *   an `Expect` other than 100-continue (417, empty body), and CONNECT, which a server without a
 *   'connect' listener closes without a byte.
 */
export type Expectation =
  | { kind: 'error'; code?: string; status?: number }
  | { kind: 'refused'; status: 400 | 431 }
  | { kind: 'node'; status: 400 | 417 | 'closed' }

export interface Case {
  group: string
  name: string
  head: string | Buffer
  /** Streamed after the head (64 KiB at a time, stopping when the server answers). */
  body?: Buffer
  expect: Expectation
  /** Responses to wait for (a keep-alive connection stays open after them). */
  responses?: number
  /** The request asked for `Connection: close`: the server must close after answering. */
  closes?: true
  timeoutMs?: number
}

export interface Credentials {
  admin: string
  member: string
  memberRefresh: string
  forged: Record<string, string>
}

export const SEED = 0x5eed

const CT_JSON: [string, string] = ['content-type', 'application/json']

/** One request head; `Connection: close` unless `keepAlive`, `Content-Length` from the body unless given. */
export function head(method: string, target: string, headers: Array<[string, string]>, body?: Buffer | string, opts: { keepAlive?: boolean } = {}): Buffer {
  const hasHost = headers.some(([k]) => k.toLowerCase() === 'host')
  const lines = [`${method} ${target} HTTP/1.1`, ...(hasHost ? [] : ['Host: 127.0.0.1']), ...headers.map(([k, v]) => `${k}: ${v}`)]
  if (body !== undefined && !headers.some(([k]) => k.toLowerCase() === 'content-length')) lines.push(`Content-Length: ${Buffer.byteLength(body)}`)
  if (!opts.keepAlive) lines.push('Connection: close')
  const text = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1')
  return body === undefined ? text : Buffer.concat([text, typeof body === 'string' ? Buffer.from(body, 'utf8') : body])
}

const bearer = (token: string): [string, string] => ['authorization', `Bearer ${token}`]

function who(route: Route, c: Credentials): Array<[string, string]> {
  if (route.access === 'admin') return [bearer(c.admin)]
  if (route.access === 'user') return [bearer(c.member)]
  return [] // public, probe, and logout (optional: anonymous, so no bad body can end a session used later)
}

const target = (route: Route, id?: string): string => route.path.replace(':id', id ?? missingId(route))
const label = (route: Route): string => `${route.method} ${route.path}`

/** Bodies: malformed JSON, wrong types, unknown and polluting keys, Unicode edges, huge and deep. */
function bodyCases(route: Route, c: Credentials, rnd: () => number): Case[] {
  const spec = route.body
  if (!spec) return []
  const out: Case[] = []
  const auth = who(route, c)
  const send = (group: string, name: string, body: string | Buffer, expect: Expectation = { kind: 'error' }, contentType = 'application/json'): void => {
    out.push({ group, name: `${label(route)}: ${name}`, head: head(route.method, target(route), [...auth, ['content-type', contentType]], body), expect })
  }
  const example = spec.example
  const exampleText = JSON.stringify(example)
  for (const [i, text] of malformedJson.entries()) send('malformed-json', `malformed #${i}`, text, { kind: 'error', code: 'INVALID_JSON' })
  for (const [i, text] of corruptions(exampleText, rnd, 6).entries()) send('malformed-json', `corrupted example #${i}`, text, { kind: 'error', code: 'INVALID_JSON' })
  for (const text of wrongShapes(spec)) send('wrong-types', `body ${text}`, text)
  for (const [field, kind] of Object.entries(spec.fields)) {
    for (const value of wrongValues(kind)) send('wrong-types', `${field} = ${JSON.stringify(value).slice(0, 40)}`, JSON.stringify({ ...example, [field]: value }))
    if (!kind.optional) {
      const rest: Record<string, unknown> = { ...example }
      delete rest[field]
      send('wrong-types', `without ${field}`, JSON.stringify(rest))
    }
  }
  for (const extra of ['unexpected', 'user_id', '_id', 'is_admin']) send('wrong-types', `unknown field ${extra}`, JSON.stringify({ ...example, [extra]: 'user_corpus' }))
  for (const member of pollutingMembers) send('prototype-keys', member, withMember(example, member), { kind: 'error', code: 'FORBIDDEN_KEY' })
  for (const [i, key] of unicodeEdges.entries()) send('unicode', `unicode key #${i}`, JSON.stringify({ ...example, [key]: 1 }))
  const afterKey = exampleText === '{}' ? '":1}' : `":1,${exampleText.slice(1)}`
  for (const [i, bytes] of invalidUtf8.entries()) send('unicode', `invalid UTF-8 key #${i}`, Buffer.concat([Buffer.from('{"'), bytes, Buffer.from(afterKey)]))
  send('unicode', 'UTF-16LE body', Buffer.from(exampleText, 'utf16le'), { kind: 'error', code: 'INVALID_JSON' })
  send('unicode', 'UTF-16 BOM body', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(exampleText, 'utf16le')]), { kind: 'error', code: 'INVALID_JSON' })
  send('unicode', 'BOM then array', '\ufeff[]')
  const stringField = Object.entries(spec.fields).find(([, f]) => f.kind === 'string')?.[0] ?? 'padding'
  send('huge', `900 KB ${stringField}`, JSON.stringify({ ...example, [stringField]: 'x'.repeat(900_000) }))
  send('huge', '120k-element array', `[${'0,'.repeat(120_000)}0]`)
  send('huge', '40k keys', `{${Array.from({ length: 40_000 }, (_, i) => `"k${i}":0`).join(',')}}`)
  send('huge', '1 MiB of whitespace around []', `${' '.repeat(1_000_000)}[]`)
  send('deep', '200k nested arrays', deepArray(200_000))
  send('deep', '60k nested objects', deepObject(60_000))
  send('deep', 'nested object with __proto__ at the bottom', deepObject(5_000, '{"__proto__":{"role":"admin"}}'), { kind: 'error', code: 'FORBIDDEN_KEY' })
  for (const [field, kind] of Object.entries(spec.fields)) {
    if (kind.kind !== 'array' && kind.kind !== 'record') continue
    const rest: Record<string, unknown> = { ...example }
    delete rest[field]
    send('deep', `${field} nested 100k deep`, withMember(rest, `"${field}":${deepArray(100_000)}`))
  }
  for (const ct of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/jsonx', 'text/json', ';', 'application/json-patch+json']) {
    send('content-type', `Content-Type: ${ct}`, exampleText, { kind: 'error' }, ct)
  }
  return out
}

/** Bodies the app accepts in general but whose shape inside is hostile. */
function nestedCases(c: Credentials): Case[] {
  const chat = (extra: string): string => `{"title":"deep","messages":[{"role":"user","content":"hi","extra":${extra}}]}`
  const put = (name: string, body: string, code?: string): Case => ({
    group: 'deep', name: `PUT /api/chats/:id: ${name}`, head: head('PUT', '/api/chats/corpus_deep', [bearer(c.member), CT_JSON], body), expect: { kind: 'error', ...(code ? { code } : {}) },
  })
  const post = (path: string, name: string, body: string): Case => ({
    group: 'deep', name: `POST ${path}: ${name}`, head: head('POST', path, [bearer(c.member), CT_JSON], body), expect: { kind: 'error', code: 'VALIDATION_FAILED' },
  })
  return [
    put('message field nested 100k deep', chat(deepArray(100_000)), 'APP_NESTED_TOO_DEEP'),
    put('message field nested 40 objects deep', chat(deepObject(40)), 'APP_NESTED_TOO_DEEP'),
    put('message with constructor.prototype', '{"title":"p","messages":[{"role":"user","content":"x","constructor":{"prototype":{"role":"admin"}}}]}', 'FORBIDDEN_KEY'),
    put('message with __proto__', '{"title":"p","messages":[{"role":"user","content":"x","__proto__":{"role":"admin"}}]}', 'FORBIDDEN_KEY'),
    // Keys a Record's pattern misses must not carry unchecked values (they once did: a 500 on serialising).
    post('/api/integrations', 'credential under a key outside the pattern, nested 100k deep', `{"provider":"openai","name":"n","credentials":{"bad key":${deepArray(100_000)}}}`),
    post('/api/workflows', 'step config under a key with a line break, nested 100k deep', `{"name":"w","steps":[{"type":"t","config":{"a\\nb":${deepArray(100_000)}}}]}`),
    post('/api/workflows', 'step config under a key with a line break', '{"name":"w","steps":[{"type":"t","config":{"a\\u2028b":{"x":1}}}]}'),
  ]
}

const oddIds = [
  '%00', '%ff', '%2e%2e', '..%2f..%2fetc%2fpasswd', '%2e%2e%2f', '%E2%80%AE', 'a%20b', '%F0%9F%98%80', '%', '%zz', '%u0041',
  "'%20OR%20'1'%3D'1", '$where', '%7B%22$gt%22:%22%22%7D', 'a;b', 'a,b', 'a.b', '%5C..%5C', '~', '*', 'a'.repeat(201), 'a'.repeat(5000),
  '%C0%AF', '%ED%A0%80', '%EF%BB%BF', 'id%0d%0aSet-Cookie:%20x=1', '@', '(', '!', '%2F', '.', '..',
]
const missingIds = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '0', '-', '_']

/** Path parameters: ids no route may accept, and ids that look fine but name nothing. */
function pathCases(route: Route, c: Credentials): Case[] {
  if (!route.path.includes(':id')) return []
  const out: Case[] = []
  const body = route.body ? JSON.stringify(route.body.example) : undefined
  const headers: Array<[string, string]> = [...who(route, c), ...(body ? [CT_JSON] : [])]
  for (const id of oddIds) out.push({ group: 'path-params', name: `${label(route)} id=${id.slice(0, 40)}`, head: head(route.method, target(route, id), headers, body), expect: { kind: 'error' } })
  if (route.rateKey || route.method === 'PUT') return out // a valid-looking key or chat id is accepted there
  for (const id of missingIds) out.push({ group: 'path-params', name: `${label(route)} id=${id}`, head: head(route.method, target(route, id), headers, body), expect: { kind: 'error' } })
  return out
}

const badPages = [
  'page=0', 'page=-1', 'page=abc', 'page=1e999', 'page=1.5', 'page=100001', 'page_size=0', 'page_size=101', 'page_size=-5', 'page_size=%ff',
  'page=1&page=2', 'page[]=1', 'unknown=1', '__proto__=1', '__proto__[role]=admin', 'constructor[prototype][role]=admin', 'page=%00',
  'page=%EF%BC%91', 'page=%20', 'page=', 'page=Infinity', 'page=NaN', 'page=true', `page=${'9'.repeat(400)}`, 'page=%', 'page=%E2%80%AE1',
]
const imageUrls = [
  '', 'url=', 'url=%ff', 'url=notaurl', 'url=javascript:alert(1)', 'url=file:///etc/passwd', 'url=ftp://127.0.0.1/x.png', 'url=gopher://127.0.0.1:70/_x',
  'url=data:image/png;base64,AAAA', 'url=http://127.0.0.1/x.png', 'url=http://localhost/x.png', 'url=http://[::1]/', 'url=http://[::ffff:127.0.0.1]/',
  'url=http://0x7f000001/', 'url=http://2130706433/', 'url=http://0177.0.0.1/', 'url=http://169.254.169.254/latest/meta-data/', 'url=http://100.64.0.1/',
  'url=http://10.0.0.1/', 'url=http://192.168.0.1/', 'url=http://[fe80::1]/', 'url=http://0.0.0.0/', 'url=http://224.0.0.1/', 'url=http://user:pass@127.0.0.1/',
  `url=http://127.0.0.1/${'x'.repeat(5000)}`, 'url=http://127.0.0.1/&url=http://10.0.0.1/', 'url=http://127.0.0.1/&x=1', '__proto__=1', 'url=%00',
  'url=http://%00/', 'url=http://[::1', 'url=https://256.256.256.256/', 'url=http://127.1/', 'url=http://[::]/', 'url=http://127.0.0.1:0/',
]

/** Query strings: out of range, wrong type, repeated, unknown, polluting, undecodable. */
function queryCases(route: Route, c: Credentials): Case[] {
  const out: Case[] = []
  const q = (query: string, group = 'query'): void => {
    out.push({ group, name: `${label(route)}?${query.slice(0, 60)}`, head: head(route.method, `${route.path}?${query}`, who(route, c)), expect: { kind: 'error' } })
  }
  if (route.paged) for (const query of badPages) q(query)
  if (route.path === '/api/admin/users') for (const query of [`search=${'a'.repeat(321)}`, 'search=a&search=b&search=c']) q(query)
  if (route.path === '/api/admin/audit') for (const query of [`type=${'t'.repeat(65)}`, `user_id=${'u'.repeat(201)}`]) q(query)
  if (route.path === '/api/proxy/image') for (const query of imageUrls) q(query, 'image-proxy')
  return out
}

const methods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'TRACE', 'PROPFIND', 'MKCOL', 'LOCK', 'PURGE', 'SEARCH']

/** Methods no route here serves (Node's parser knows them all, so they reach Fastify). */
function methodCases(c: Credentials): Case[] {
  const out: Case[] = []
  const byPath = new Map<string, Route[]>()
  for (const r of routes) byPath.set(r.path, [...(byPath.get(r.path) ?? []), r])
  for (const [path, served] of byPath) {
    const route = served[0]!
    const allowed = new Set(served.map((r) => r.method))
    for (const method of methods) {
      if (allowed.has(method as Route['method'])) continue
      const body = method === 'GET' || method === 'TRACE' ? undefined : ''
      out.push({ group: 'methods', name: `${method} ${path}`, head: head(method, target(route), who(route, c), body), expect: { kind: 'error' } })
    }
  }
  return out
}

/** Tokens that must not let anyone in: malformed, forged, the wrong type, or the wrong user. */
function tokenCases(c: Credentials): Case[] {
  const values = [
    'Bearer', 'Bearer ', `Bearer ${'a'.repeat(8000)}`, 'Bearer a.b.c', 'Basic dXNlcjpwYXNz', `bearer ${c.member}`, c.member, `Bearer ${c.member} extra`,
    `Bearer ${c.member},Bearer ${c.member}`, `Bearer ${c.memberRefresh}`, `Bearer ${c.member.slice(0, -4)}AAAA`, 'Bearer \u00ff\u00fe', `Bearer ${c.member}\u00a0`,
    ...Object.values(c.forged).map((t) => `Bearer ${t}`),
  ]
  const out: Case[] = []
  const targets = routes.filter((r) => (r.access === 'user' || r.access === 'admin') && r.method === 'GET' && !r.path.startsWith('/ws/'))
  for (const route of targets) {
    for (const [i, value] of values.entries()) {
      out.push({ group: 'tokens', name: `${label(route)} authorization #${i}`, head: head('GET', target(route), [['authorization', value]]), expect: { kind: 'error', status: 401 } })
    }
    if (route.access === 'admin') out.push({ group: 'tokens', name: `${label(route)} with a member's token`, head: head('GET', target(route), [bearer(c.member)]), expect: { kind: 'error', status: 403 } })
  }
  return out
}

/** Header tricks: spoofed identity, odd request ids, hosts and forwarded-for chains; oversized heads. */
function headerCases(c: Credentials): Case[] {
  const out: Case[] = []
  const spoofs: Array<[string, string]> = [
    ['x-identity', 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ1c2VyX3gifQ.sig'], ['X-Identity-Assertion', 'forged'], ['x_identity', 'forged'],
    ['x-user-id', 'user_admin'], ['X-User-Role', 'admin'], ['x_user_email', 'admin@example.com'], ['x-api-key', 'guess'],
  ]
  for (const route of routes.filter((r) => (r.access === 'user' || r.access === 'admin') && r.method === 'GET' && !r.path.startsWith('/ws/'))) {
    for (const h of spoofs) out.push({ group: 'header-injection', name: `${label(route)} anonymous with ${h[0]}`, head: head('GET', target(route), [h]), expect: { kind: 'error', status: 401 } })
  }
  const odd: Array<[string, Array<[string, string]>]> = [
    ['request id with a CRLF-injected header after it', [['x-request-id', 'abc'], ['Set-Cookie', 'pwn=1']]],
    ['request id with spaces', [['x-request-id', 'a b c']]], ['request id 300 characters', [['x-request-id', 'r'.repeat(300)]]],
    ['request id with Unicode', [['x-request-id', '\u00e9\u00e8']]], ['request id with quotes', [['x-request-id', '"><script>']]],
    ['Host with userinfo', [['Host', '127.0.0.1:1@evil.example']]], ['second Host', [['Host', '127.0.0.1'], ['Host', 'evil.example']]],
    ['Host with a path', [['Host', 'evil.example/api/admin']]], ['empty Host', [['Host', '']]], ['Host 2 KB', [['Host', 'h'.repeat(2048)]]],
    ['X-Forwarded-For garbage', [['x-forwarded-for', ', , ,unknown,999.999.999.999']]], ['X-Forwarded-For with a zone', [['x-forwarded-for', 'fe80::1%eth0']]],
    ['X-Forwarded-For 500 hops', [['x-forwarded-for', Array.from({ length: 500 }, (_, i) => `10.0.${i >> 8}.${i & 255}`).join(', ')]]],
    ['X-Forwarded-For IPv6 garbage', [['x-forwarded-for', ':::::::1, [::1]:80']]], ['Forwarded header', [['forwarded', 'for="_gazonk";proto=javascript']]],
    ['Origin null', [['origin', 'null']]], ['Origin evil', [['origin', 'https://evil.example']]], ['Cookie soup', [['cookie', 'refresh_token=; refresh_token=x; =; ;;']]],
    ['Accept-Encoding bomb', [['accept-encoding', 'gzip;q=1, '.repeat(500)]]], ['Range', [['range', 'bytes=0-0,-1,1-']]],
    ['traceparent garbage', [['traceparent', '00-zzzz-!!-01']]], ['Content-Length on GET', [['content-length', '0']]],
    ['X-HTTP-Method-Override', [['x-http-method-override', 'DELETE']]], ['1000 small headers', Array.from({ length: 1000 }, (_, i): [string, string] => [`x-h${i}`, 'v'])],
    ['Authorization twice', [['authorization', 'Bearer a'], ['authorization', 'Bearer b']]],
  ]
  for (const [name, headers] of odd) {
    out.push({ group: 'headers', name: `GET /api/chats anonymous: ${name}`, head: head('GET', '/api/chats', headers), expect: { kind: 'error', status: 401 } })
    if (headers.some(([k]) => k === 'content-length')) continue
    out.push({ group: 'headers', name: `POST /api/auth/login: ${name}`, head: head('POST', '/api/auth/login', [...headers, CT_JSON], '{"email":1}'), expect: { kind: 'error', status: 400 } })
  }
  // Oversized heads: Node counts the request line and headers together against 16 KiB.
  out.push({ group: 'overlong', name: '100 KB URL', head: head('GET', `/api/chats?x=${'a'.repeat(100 * 1024)}`, []), expect: { kind: 'refused', status: 431 } })
  out.push({ group: 'overlong', name: '64 KB header', head: head('GET', '/api/auth/status', [['x-big', 'a'.repeat(64 * 1024)]]), expect: { kind: 'refused', status: 431 } })
  out.push({ group: 'overlong', name: '200 headers of 400 bytes', head: head('GET', '/api/auth/status', Array.from({ length: 200 }, (_, i): [string, string] => [`x-h${i}`, 'v'.repeat(400)])), expect: { kind: 'refused', status: 431 } })
  out.push({ group: 'overlong', name: '15 KB path', head: head('GET', `/api/chats/${'a'.repeat(15_000)}`, [bearer(c.member)]), expect: { kind: 'error' } })
  out.push({ group: 'overlong', name: '15 KB query', head: head('GET', `/api/chats?page=${'1'.repeat(15_000)}`, [bearer(c.member)]), expect: { kind: 'error' } })
  out.push({ group: 'overlong', name: '15 KB cookie to an upstream route', head: head('POST', '/api/auth/login', [['cookie', `c=${'a'.repeat(15_000)}`], CT_JSON], '{}'), expect: { kind: 'error' } })
  // Under the gateway's 16 KiB but over the upstream's once the gateway adds its own headers:
  // the upstream's parser refuses it, and the gateway passes that 431 on.
  out.push({
    group: 'overlong', name: 'head the gateway accepts and the upstream refuses', head: head('POST', '/api/auth/login', [['cookie', `c=${'a'.repeat(16_100)}`], CT_JSON], '{}'),
    expect: { kind: 'error', status: 431 },
  })
  out.push({ group: 'overlong', name: '15 KB header on a WebSocket upgrade', head: head('GET', '/ws/chat', [['upgrade', 'websocket'], ['connection', 'Upgrade'], ['x-pad', 'a'.repeat(15_000)]]), expect: { kind: 'error', status: 401 } })
  return out
}

/** Bodies declared over the limit on a keep-alive connection: refused at once, and the connection stays in step. */
function oversizedCases(c: Credentials): Case[] {
  const big = 2 * 1024 * 1024
  const out: Case[] = []
  for (const [method, path, token] of [['POST', '/api/auth/login', undefined], ['POST', '/api/agents', c.member], ['PUT', '/api/chats/corpus_big', c.member], ['GET', '/health', undefined]] as const) {
    const auth: Array<[string, string]> = token ? [['authorization', `Bearer ${token}`]] : []
    // The body is itself a request: were it not skipped by length, it would be answered as one.
    const smuggledInBody = Buffer.alloc(big, ' ')
    Buffer.from('GET /api/admin/users HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n').copy(smuggledInBody)
    out.push({
      group: 'huge', name: `${method} ${path} declaring 2 MiB`, expect: { kind: 'error', code: 'PAYLOAD_TOO_LARGE', status: 413 }, responses: 1,
      head: head(method, path, [...auth, ['content-type', 'application/json'], ['content-length', String(big)]], undefined, { keepAlive: true }), body: smuggledInBody,
    })
  }
  return out
}

/** The whole corpus: every route times every kind of bad input, deterministic for one seed. */
export function buildCorpus(c: Credentials): Case[] {
  const rnd = seeded(SEED)
  return [
    ...routes.flatMap((r) => bodyCases(r, c, rnd)),
    ...nestedCases(c),
    ...routes.flatMap((r) => pathCases(r, c)),
    ...routes.flatMap((r) => queryCases(r, c)),
    ...methodCases(c),
    ...tokenCases(c),
    ...headerCases(c),
    ...oversizedCases(c),
  ]
}
