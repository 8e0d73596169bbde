import type { Case, Credentials, Expectation } from './corpus.js'

/**
 * Bytes no well-behaved client library would send: request-smuggling shapes, broken framing,
 * control characters, and WebSocket handshakes gone wrong. Each smuggling shape is followed,
 * on the same connection, by a second request that must never be answered when the first was
 * refused: a parser that resynchronised on attacker-chosen bytes would answer it.
 */

/** A path no route serves: any answer naming it means smuggled bytes were read as a request. */
export const SMUGGLED_PATH = '/api/corpus-smuggled'
const FOLLOW = `GET ${SMUGGLED_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`
const REFUSED: Expectation = { kind: 'refused', status: 400 }

interface Shape {
  name: string
  /** Header lines after the request line and Host (each without its CRLF). */
  headers: string[]
  body: string
  expect: Expectation
}

const smuggled = `GET ${SMUGGLED_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`

/** Framing the parser must refuse outright: answering either reading would desynchronise a proxy chain. */
const shapes: Shape[] = [
  { name: 'CL.TE: Content-Length and Transfer-Encoding', headers: ['Content-Length: 6', 'Transfer-Encoding: chunked'], body: `0\r\n\r\n${smuggled}`, expect: REFUSED },
  { name: 'TE.CL: Transfer-Encoding first', headers: ['Transfer-Encoding: chunked', 'Content-Length: 4'], body: `5c\r\n${smuggled}\r\n0\r\n\r\n`, expect: REFUSED },
  { name: 'two different Content-Lengths', headers: ['Content-Length: 2', 'Content-Length: 40'], body: `{}${smuggled}`, expect: REFUSED },
  { name: 'two equal Content-Lengths', headers: ['Content-Length: 2', 'Content-Length: 2'], body: '{}', expect: REFUSED },
  { name: 'Content-Length list', headers: ['Content-Length: 2, 2'], body: '{}', expect: REFUSED },
  { name: 'Content-Length with a plus sign', headers: ['Content-Length: +2'], body: '{}', expect: REFUSED },
  { name: 'Content-Length in hex', headers: ['Content-Length: 0x2'], body: '{}', expect: REFUSED },
  { name: 'negative Content-Length', headers: ['Content-Length: -1'], body: '{}', expect: REFUSED },
  { name: 'Content-Length overflowing 64 bits', headers: ['Content-Length: 99999999999999999999999'], body: '{}', expect: REFUSED },
  { name: 'Transfer-Encoding: xchunked', headers: ['Transfer-Encoding: xchunked'], body: `0\r\n\r\n${smuggled}`, expect: REFUSED },
  { name: 'Transfer-Encoding: chunked, identity', headers: ['Transfer-Encoding: chunked, identity'], body: `0\r\n\r\n${smuggled}`, expect: REFUSED },
  { name: 'Transfer-Encoding twice', headers: ['Transfer-Encoding: gzip', 'Transfer-Encoding: chunked, gzip'], body: `0\r\n\r\n${smuggled}`, expect: REFUSED },
  { name: 'Transfer-Encoding with a space before the colon', headers: ['Transfer-Encoding : chunked'], body: `0\r\n\r\n${smuggled}`, expect: REFUSED },
  { name: 'Transfer-Encoding folded onto the next line', headers: ['Transfer-Encoding:', ' chunked'], body: `0\r\n\r\n${smuggled}`, expect: REFUSED },
  { name: 'Transfer-Encoding with a vertical tab', headers: ['Transfer-Encoding: \u000bchunked'], body: `0\r\n\r\n${smuggled}`, expect: REFUSED },
  { name: 'chunk size overflowing 64 bits', headers: ['Transfer-Encoding: chunked'], body: `fffffffffffffffffff\r\n{}\r\n0\r\n\r\n${smuggled}`, expect: REFUSED },
  { name: 'chunk size not hex', headers: ['Transfer-Encoding: chunked'], body: `zz\r\n{}\r\n0\r\n\r\n${smuggled}`, expect: REFUSED },
  { name: 'chunk size with 0x', headers: ['Transfer-Encoding: chunked'], body: `0x2\r\n{}\r\n0\r\n\r\n${smuggled}`, expect: REFUSED },
  { name: 'chunk data longer than its size', headers: ['Transfer-Encoding: chunked'], body: `2\r\n{}xx\r\n0\r\n\r\n${smuggled}`, expect: REFUSED },
  { name: 'chunk size line ending in a bare LF', headers: ['Transfer-Encoding: chunked'], body: `2\n{}\r\n0\r\n\r\n${smuggled}`, expect: REFUSED },
  { name: 'chunk extension with a bare CR', headers: ['Transfer-Encoding: chunked'], body: `2;a=b\rc\r\n{}\r\n0\r\n\r\n${smuggled}`, expect: REFUSED },
  { name: 'obs-fold continuation line', headers: ['X-Folded: a', ' b'], body: '', expect: REFUSED },
  { name: 'header line ending in a bare LF', headers: ['X-Bare: a\nX-Other: b'], body: '', expect: REFUSED },
  { name: 'CR inside a header value', headers: ['X-Cr: a\rb'], body: '', expect: REFUSED },
  { name: 'NUL inside a header value', headers: ['X-Nul: a\u0000b'], body: '', expect: REFUSED },
  { name: 'NUL inside a header name', headers: ['X-N\u0000ul: a'], body: '', expect: REFUSED },
  { name: 'space inside a header name', headers: ['X Space: a'], body: '', expect: REFUSED },
  { name: 'header without a colon', headers: ['X-No-Colon'], body: '', expect: REFUSED },
  { name: 'header name with a bracket', headers: ['X-[Bad]: a'], body: '', expect: REFUSED },
  { name: 'empty header name', headers: [': a'], body: '', expect: REFUSED },
  { name: 'DEL in a header value', headers: ['X-Del: a\u007fb'], body: '', expect: REFUSED },
]

function withFollow(method: string, path: string, auth: string | undefined, shape: Shape): Buffer {
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', ...(auth ? [`Authorization: Bearer ${auth}`] : []), 'Content-Type: application/json', ...shape.headers]
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${shape.body}${FOLLOW}`, 'latin1')
}

/** Request lines and whole requests the parser must refuse, or that Node answers itself. */
function requestLines(): Case[] {
  const raw = (name: string, text: string, expect: Expectation): Case => ({ group: 'request-line', name, head: Buffer.from(text, 'latin1'), expect })
  return [
    raw('NUL in the path', 'GET /api/auth/st\u0000atus HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', REFUSED),
    raw('space in the path', 'GET /api/auth/st atus HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', REFUSED),
    raw('tab in the path', 'GET /api/auth/st\tatus HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', REFUSED),
    raw('unknown method', 'FOO /api/auth/status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', REFUSED),
    raw('lower-case method', 'get /api/auth/status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', REFUSED),
    raw('method 1 KB long', `${'G'.repeat(1024)} /api/auth/status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`, REFUSED),
    raw('HTTP/1.2', 'GET /api/auth/status HTTP/1.2\r\nHost: 127.0.0.1\r\n\r\n', REFUSED),
    raw('HTTP/9.9', 'GET /api/auth/status HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n', REFUSED),
    raw('HTTP/ without a version', 'GET /api/auth/status HTTP/\r\nHost: 127.0.0.1\r\n\r\n', REFUSED),
    raw('request line ending in a bare CR', 'GET /api/auth/status HTTP/1.1\rHost: 127.0.0.1\r\n\r\n', REFUSED),
    raw('binary garbage', '\u0016\u0003\u0001\u0000\u00a5\u0001\u0000\u0000\u00a1\u0003\u0003', REFUSED),
    raw('an HTTP/2 preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', REFUSED),
    raw('HTTP/1.1 without Host', 'GET /api/auth/status HTTP/1.1\r\n\r\n', { kind: 'node', status: 400 }),
    raw('Expect that cannot be met', 'POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 200-ok\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}', { kind: 'node', status: 417 }),
    raw('CONNECT to another host', 'CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n', { kind: 'node', status: 'closed' }),
    raw('absolute-form URI naming another host', 'GET http://evil.example/api/auth/status HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n', { kind: 'error', code: 'GW_BAD_PATH' }),
    raw('asterisk-form on GET', 'GET * HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n', { kind: 'error' }),
    raw('dot segments', 'GET /api/public/../admin/users HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n', { kind: 'error', code: 'GW_BAD_PATH' }),
    raw('escaped dot segments', 'GET /api/public/%2e%2e/admin/users HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n', { kind: 'error', code: 'GW_BAD_PATH' }),
    raw('backslashes', 'GET /api\\admin\\users HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n', { kind: 'error' }),
    raw('double slash', 'GET //api/admin/users HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n', { kind: 'error', code: 'GW_BAD_PATH' }),
    raw('escaped letter', 'GET /api/admin/%75sers HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n', { kind: 'error', code: 'GW_BAD_PATH' }),
    raw('raw UTF-8 in the path', Buffer.from('GET /api/chats/\u00e9t\u00e9 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', 'utf8').toString('latin1'), REFUSED),
    raw('raw Latin-1 byte in the path', 'GET /api/chats/\u00ff HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', REFUSED),
  ]
}

const WS_KEY = 'dGhlIHNhbXBsZSBub25jZQ=='

/** WebSocket upgrades that must get an HTTP error, never a 101. */
function upgrades(c: Credentials): Case[] {
  const up = (name: string, extra: string[], expect: Expectation, path = '/ws/chat', method = 'GET'): Case => ({
    group: 'websocket', name,
    head: Buffer.from([`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Upgrade: websocket', 'Connection: Upgrade', ...extra].join('\r\n') + '\r\n\r\n', 'latin1'),
    expect,
  })
  const good = ['Sec-WebSocket-Version: 13', `Sec-WebSocket-Key: ${WS_KEY}`]
  const auth = `Authorization: Bearer ${c.member}`
  const bad = (code: string): Expectation => ({ kind: 'error', code })
  return [
    up('anonymous', good, { kind: 'error', status: 401 }),
    up('token in the query, forged', good, { kind: 'error', status: 401 }, `/ws/chat?token=${c.forged['wrongSecret'] ?? 'x'}`),
    up('refresh token in the query', good, { kind: 'error', status: 401 }, `/ws/chat?token=${c.memberRefresh}`),
    up('garbage bearer subprotocol', [...good, 'Sec-WebSocket-Protocol: claraverse.v1, bearer.garbage'], { kind: 'error', status: 401 }),
    up('Origin not allowed', [...good, auth, 'Origin: https://evil.example'], { kind: 'error', code: 'GW_ORIGIN_FORBIDDEN' }),
    up('Origin null', [...good, auth, 'Origin: null'], { kind: 'error', code: 'GW_ORIGIN_FORBIDDEN' }),
    up('no Sec-WebSocket-Key', [auth, 'Sec-WebSocket-Version: 13'], bad('GW_BAD_WEBSOCKET_HANDSHAKE')),
    up('short Sec-WebSocket-Key', [auth, 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: c2hvcnQ='], bad('GW_BAD_WEBSOCKET_HANDSHAKE')),
    up('Sec-WebSocket-Key not base64', [auth, 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: !!!!!!!!!!!!!!!!!!!!!!=='], bad('GW_BAD_WEBSOCKET_HANDSHAKE')),
    up('two Sec-WebSocket-Keys', [auth, 'Sec-WebSocket-Version: 13', `Sec-WebSocket-Key: ${WS_KEY}`, `Sec-WebSocket-Key: ${WS_KEY}`], bad('GW_BAD_WEBSOCKET_HANDSHAKE')),
    up('no Sec-WebSocket-Version', [auth, `Sec-WebSocket-Key: ${WS_KEY}`], bad('GW_BAD_WEBSOCKET_HANDSHAKE')),
    up('Sec-WebSocket-Version 99', [auth, `Sec-WebSocket-Key: ${WS_KEY}`, 'Sec-WebSocket-Version: 99'], bad('GW_BAD_WEBSOCKET_HANDSHAKE')),
    up('empty subprotocol in the list', [...good, auth, 'Sec-WebSocket-Protocol: claraverse.v1,,x'], bad('GW_BAD_WEBSOCKET_HANDSHAKE')),
    up('duplicated subprotocol', [...good, auth, 'Sec-WebSocket-Protocol: claraverse.v1, claraverse.v1'], bad('GW_BAD_WEBSOCKET_HANDSHAKE')),
    up('subprotocol with a slash', [...good, auth, 'Sec-WebSocket-Protocol: a/b'], bad('GW_BAD_WEBSOCKET_HANDSHAKE')),
    up('POST upgrade', [...good, auth], { kind: 'error', status: 404 }, '/ws/chat', 'POST'),
    up('upgrade to an unknown path', [...good, auth], { kind: 'error', status: 404 }, '/ws/other'),
    up('upgrade on a user route, anonymous', good, { kind: 'error', status: 401 }, '/api/chats'),
    up('upgrade on an admin route with a member token', [...good, auth], { kind: 'error', status: 403 }, '/api/admin/users'),
    up('upgrade below the socket path', [...good, auth], { kind: 'error', code: 'NOT_FOUND' }, '/ws/chat/%00'),
    up('upgrade below the socket path, plain', [...good, auth], { kind: 'error', code: 'NOT_FOUND' }, '/ws/chat/x'),
  ]
}

/** Smuggling shapes against public and authenticated routes, each followed by a second request. */
export function wireCases(c: Credentials): Case[] {
  const targets: Array<[string, string, string | undefined]> = [
    ['POST', '/api/auth/login', undefined], ['POST', '/api/auth/register', undefined], ['GET', '/api/auth/status', undefined],
    ['POST', '/api/agents', c.member], ['PUT', '/api/chats/corpus_smuggle', c.member], ['PATCH', '/api/admin/users/user_corpusmissing', c.admin],
    ['GET', '/health', undefined],
  ]
  const out: Case[] = []
  for (const [method, path, auth] of targets) {
    for (const shape of shapes) out.push({ group: 'smuggling', name: `${method} ${path}: ${shape.name}`, head: withFollow(method, path, auth, shape), expect: shape.expect })
  }
  return [...out, ...requestLines(), ...upgrades(c)]
}
