import t from 'tap'
import WebSocket from 'ws'
import { once } from 'node:events'
import { exchange } from '../helpers/raw-http.js'
import { gatewayHarness } from './harness.js'

const portOf = (url: string): number => Number(new URL(url).port)

t.test('a body declared over the limit is refused at the edge with 413 JSON, and the connection stays in step', async (t) => {
  const h = await gatewayHarness(t)
  const size = 2 * 1024 * 1024
  // The body is itself a request: a server that lost count of the body would answer it.
  const body = Buffer.alloc(size, ' ')
  Buffer.from('GET /api/auth/smuggled HTTP/1.1\r\nHost: x\r\n\r\n').copy(body)
  const head = `POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${size}\r\n\r\n`
  const x = await exchange(portOf(h.url), head, { body, responses: 1 })
  t.equal(x.responses[0]?.status, 413, 'answered from the headers alone, before the upload ends')
  t.match(JSON.parse(x.responses[0]!.body.toString()), { code: 'PAYLOAD_TOO_LARGE', error: String, request_id: String })
  t.equal(h.auth.seen.length, 0, 'nothing reached the upstream')

  // Whole body sent, then a second request on the same connection: answered, and nothing else.
  const follow = 'GET /api/auth/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
  const both = await exchange(portOf(h.url), Buffer.concat([Buffer.from(head), body, Buffer.from(follow)]), { responses: 2 })
  t.same(both.responses.map((r) => r.status), [413, 200])
  t.same(h.auth.seen.map((s) => s.url), ['/api/auth/status'], 'the body was skipped by its length, not read as a request')
})

t.test('a broken WebSocket handshake gets the JSON error body, not the WebSocket server\'s text/html 400', async (t) => {
  const h = await gatewayHarness(t)
  const key = 'dGhlIHNhbXBsZSBub25jZQ=='
  const upgrade = (lines: string[], path = '/ws/chat'): string =>
    [`GET ${path} HTTP/1.1`, 'Host: x', 'Upgrade: websocket', 'Connection: Upgrade', `Authorization: Bearer ${h.token()}`, ...lines].join('\r\n') + '\r\n\r\n'
  const cases: Array<[string, string, number, string]> = [
    ['no key', upgrade(['Sec-WebSocket-Version: 13']), 400, 'GW_BAD_WEBSOCKET_HANDSHAKE'],
    ['a short key', upgrade(['Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: c2hvcnQ=']), 400, 'GW_BAD_WEBSOCKET_HANDSHAKE'],
    ['version 99', upgrade(['Sec-WebSocket-Version: 99', `Sec-WebSocket-Key: ${key}`]), 400, 'GW_BAD_WEBSOCKET_HANDSHAKE'],
    ['an empty subprotocol', upgrade(['Sec-WebSocket-Version: 13', `Sec-WebSocket-Key: ${key}`, 'Sec-WebSocket-Protocol: claraverse.v1,,x']), 400, 'GW_BAD_WEBSOCKET_HANDSHAKE'],
    ['a duplicated subprotocol', upgrade(['Sec-WebSocket-Version: 13', `Sec-WebSocket-Key: ${key}`, 'Sec-WebSocket-Protocol: a, a']), 400, 'GW_BAD_WEBSOCKET_HANDSHAKE'],
    ['a path below the socket', upgrade(['Sec-WebSocket-Version: 13', `Sec-WebSocket-Key: ${key}`], '/ws/chat/x'), 404, 'NOT_FOUND'],
  ]
  for (const [name, bytes, status, code] of cases) {
    const x = await exchange(portOf(h.url), bytes)
    t.equal(x.responses[0]?.status, status, name)
    t.match(x.responses[0]?.headers['content-type'], /^application\/json/, name)
    t.match(JSON.parse(x.responses[0]?.body.toString() ?? '{}'), { code, error: String, request_id: String }, name)
  }
  t.equal(h.app.wsSeen.length, 0, 'no broken handshake reached the upstream')

  // A good handshake still opens, with the token offered as a subprotocol beside ours.
  const ws = new WebSocket(`${h.url.replace('http', 'ws')}/ws/chat`, ['claraverse.v1', `bearer.${h.token()}`])
  await once(ws, 'open')
  t.equal(ws.protocol, 'claraverse.v1')
  ws.close()
})
