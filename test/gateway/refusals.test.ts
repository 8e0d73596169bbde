import t from 'tap'
import WebSocket from 'ws'
import { once } from 'node:events'
import net from 'node:net'
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

t.test('a chunked body over the limit gets 413, and the same connection goes on answering', async (t) => {
  const h = await gatewayHarness(t)
  const size = 2 * 1024 * 1024
  const chunked = Buffer.concat([Buffer.from(`${size.toString(16)}\r\n`), Buffer.alloc(size, 'x'), Buffer.from('\r\n0\r\n\r\n')])
  const head = 'POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n'
  const follow = 'GET /api/auth/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
  const x = await exchange(portOf(h.url), Buffer.concat([Buffer.from(head), chunked, Buffer.from(follow)]), { responses: 2, timeoutMs: 10_000 })
  t.same(x.responses.map((r) => r.status), [413, 200], 'the refusal, then the next request on the connection')
  t.match(JSON.parse(x.responses[0]!.body.toString()), { code: 'PAYLOAD_TOO_LARGE' })
})

t.test('hop-by-hop headers stay on their own hop, both ways', async (t) => {
  const h = await gatewayHarness(t)
  // Request side: undici refuses these, so forwarding them would let any client cause a 502.
  for (const [name, value] of [['keep-alive', 'timeout=5'], ['upgrade', 'h2c'], ['proxy-connection', 'keep-alive']] as const) {
    const x = await exchange(portOf(h.url), `GET /api/auth/status HTTP/1.1\r\nHost: client.example\r\n${name}: ${value}\r\nConnection: close\r\n\r\n`)
    t.equal(x.responses[0]?.status, 200, `${name}: answered, not a 502`)
    t.equal(h.auth.seen.at(-1)?.headers[name], undefined, `${name} not forwarded`)
  }
  t.equal(h.auth.seen.at(-1)?.headers['x-forwarded-host'], 'client.example', 'X-Forwarded-Host is the host the client asked for')
  // Response side: what the upstream says about its own connection never reaches the client.
  const x = await exchange(portOf(h.url), `GET /api/auth/hop HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${h.token()}\r\nConnection: close\r\n\r\n`)
  const res = x.responses[0]!
  t.equal(res.status, 200)
  t.equal(res.headers['x-secret-hop'], undefined, 'a header the upstream named in Connection is dropped')
  t.equal(res.headers['proxy-authenticate'], undefined, 'and so is the RFC 9110 hop-by-hop set')
  t.equal(res.headers['x-upstream'], 'auth', 'end-to-end headers pass')
})

t.test('the chat socket route takes real upgrades only: anything else is 426 and never reaches the app', async (t) => {
  const h = await gatewayHarness(t)
  const token = h.token()
  const cases = [
    `GET /ws/chat HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n\r\n`,
    `GET /ws/chat?token=${token} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
    `GET /ws/chat HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nConnection: close\r\n\r\n`,
  ]
  for (const head of cases) {
    const x = await exchange(portOf(h.url), head)
    t.equal(x.responses[0]?.status, 426, head.split('\r\n')[0]!)
    t.match(JSON.parse(x.responses[0]!.body.toString()), { code: 'GW_UPGRADE_REQUIRED', request_id: String })
  }
  t.equal(h.app.seen.length + h.app.wsSeen.length, 0, 'the token never travelled upstream')
})

t.test('Expect: 100-continue invites only a body the gateway will take', async (t) => {
  const h = await gatewayHarness(t)
  const firstBytes = async (head: string, body?: string): Promise<string> => {
    const socket = net.connect(portOf(h.url), '127.0.0.1')
    t.teardown(() => socket.destroy())
    await once(socket, 'connect')
    socket.write(head)
    const [chunk] = await once(socket, 'data') as [Buffer]
    let text = chunk.toString()
    if (body !== undefined && text.startsWith('HTTP/1.1 100')) {
      socket.write(body)
      while (!/\r\n\r\n[\s\S]*\}/.test(text.slice(text.indexOf('\r\n\r\n') + 4))) text += (await once(socket, 'data') as [Buffer])[0].toString()
    }
    return text
  }
  const big = await firstBytes('POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2097152\r\nExpect: 100-continue\r\n\r\n')
  t.match(big, /^HTTP\/1\.1 413 /, 'an oversized upload is refused before it is sent: no 100 Continue')
  t.match(big, /"code":"PAYLOAD_TOO_LARGE"/)
  t.equal(h.auth.seen.length, 0)
  const body = '{"email":"a@example.com","password":"x"}'
  const small = await firstBytes(`POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nExpect: 100-continue\r\n\r\n`, body)
  t.match(small, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /, 'a body within the limit is invited, then proxied')
  t.equal(h.auth.seen.at(-1)?.body, body, 'and arrives whole')
})
