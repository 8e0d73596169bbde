import t from 'tap'
import { Client, request } from 'undici'
import WebSocket from 'ws'
import { once } from 'node:events'
import { gatewayHarness } from './harness.js'

t.test('CORS: exact origins only, credentials, cached preflight, Vary', async (t) => {
  const h = await gatewayHarness(t, { ALLOWED_ORIGINS: 'https://chat.example.com,http://localhost:5173' })
  const get = async (origin: string) => {
    const res = await request(`${h.url}/api/auth/status`, { headers: { origin } })
    await res.body.dump()
    return res.headers
  }
  const ok = await get('https://chat.example.com')
  t.equal(ok['access-control-allow-origin'], 'https://chat.example.com')
  t.equal(ok['access-control-allow-credentials'], 'true')
  t.match(ok['vary'], /Origin/)
  for (const bad of ['https://evil.example.com', 'https://chat.example.com.evil.com', 'https://evilchat.example.com', 'http://chat.example.com', 'http://localhost:51730', 'null']) {
    t.notOk((await get(bad))['access-control-allow-origin'], `${bad} gets no Access-Control-Allow-Origin`)
  }
  const pre = await request(`${h.url}/api/chats`, { method: 'OPTIONS', headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' } })
  await pre.body.dump()
  t.equal(pre.statusCode, 204)
  t.equal(pre.headers['access-control-allow-origin'], 'http://localhost:5173')
  t.equal(pre.headers['access-control-max-age'], '600', 'preflight cached')
  t.match(String(pre.headers['access-control-allow-methods']), /POST/)
  const badPre = await request(`${h.url}/api/chats`, { method: 'OPTIONS', headers: { origin: 'https://evil.example.com', 'access-control-request-method': 'POST' } })
  await badPre.body.dump()
  t.notOk(badPre.headers['access-control-allow-origin'])
  t.equal(h.app.seen.length, 0, 'preflights are answered at the edge')
})

t.test('errors, health, security headers', async (t) => {
  const h = await gatewayHarness(t)
  const notFound = await request(`${h.url}/api/nothing/here`)
  t.equal(notFound.statusCode, 404)
  t.match(await notFound.body.json(), { code: 'NOT_FOUND', error: String, request_id: String })
  const outside = await request(`${h.url}/wp-admin`)
  t.equal(outside.statusCode, 404)
  t.equal((await outside.body.json() as { code: string }).code, 'NOT_FOUND')
  const health = await request(`${h.url}/health`)
  t.same(await health.body.json(), { status: 'ok', service: 'gateway' })
  t.notOk(health.headers['ratelimit-limit'], '/health is not rate limited')
  const ready = await request(`${h.url}/ready`)
  t.equal(ready.statusCode, 200)
  t.same((await ready.body.json() as { checks: object }).checks, { auth: 'ok', app: 'ok' })
  const api = await request(`${h.url}/api/auth/status`)
  await api.body.dump()
  t.equal(api.headers['x-content-type-options'], 'nosniff')
  t.equal(api.headers['x-frame-options'], 'SAMEORIGIN')
  t.match(api.headers['content-security-policy'], /default-src 'none'/)
  t.equal(api.headers['cache-control'], 'no-store', 'auth responses are never cached')
  t.equal(api.headers['x-upstream'], 'auth', 'upstream headers pass')
  const jwks = await request(`${h.url}/.well-known/jwks.json`)
  t.equal((await jwks.body.json() as { keys: unknown[] }).keys.length, 1)
})

t.test('bodies and query strings stream through unchanged', async (t) => {
  const h = await gatewayHarness(t)
  const big = JSON.stringify({ title: 'x'.repeat(200_000), n: 1 })
  const res = await request(`${h.url}/api/chats/c1?x=1&y=%20`, { method: 'PUT', body: big, headers: { authorization: `Bearer ${h.token()}`, 'content-type': 'application/json', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } })
  t.equal(res.statusCode, 200)
  await res.body.dump()
  const seen = h.app.seen.at(-1)!
  t.equal(seen.url, '/api/chats/c1?x=1&y=%20')
  t.equal(seen.body, big, 'the body arrives byte for byte')
  t.match(seen.headers['traceparent'], /^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/, 'the client\'s trace continues upstream')
  t.not(seen.headers['traceparent'], '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', 'as a child of the gateway\'s own span')
  t.equal(seen.headers['x-forwarded-for'], '127.0.0.1')
})

t.test('paths the gateway and an upstream could read differently are refused', async (t) => {
  const h = await gatewayHarness(t)
  // A client that sends the path exactly as written (a URL object would normalise dot segments).
  const raw = new Client(h.url)
  t.teardown(() => raw.close())
  for (const path of ['/api/auth/%6Cogin', '/api/auth/%6cogin', '/api/%61dmin/users', '/api//auth/login', '/api/auth/./me', '/api/chats/../admin/users', '/api/chats/%2e%2e/x', '/api/chats/%E0%A4%A']) {
    const res = await raw.request({ path, method: 'POST', headers: { authorization: `Bearer ${h.token({ role: 'admin' })}` } })
    t.equal(res.statusCode, 400, path)
    // A malformed escape is already refused by the router, before the gateway's own check.
    t.match((await res.body.json() as { code: string }).code, /^(GW_BAD_PATH|BAD_REQUEST)$/, path)
  }
  t.equal(h.auth.seen.length + h.app.seen.length, 0, 'none of them reached a service')
  const odd = await request(`${h.url}/api/public/templates?q=%zz&next=../x&t=%E0%A4%A`)
  t.equal(odd.statusCode, 200, 'a query string is passed on as it is, whatever it holds')
  await odd.body.dump()
  t.equal(h.app.seen.at(-1)?.url, '/api/public/templates?q=%zz&next=../x&t=%E0%A4%A')
  const escaped = await request(`${h.url}/api/chats/a%2Fb`, { headers: { authorization: `Bearer ${h.token()}` } })
  t.equal(escaped.statusCode, 200, 'an escaped reserved character is data, not a trick')
  await escaped.body.dump()
})

t.test('client IP: X-Forwarded-For only from trusted proxies, rightmost untrusted wins', async (t) => {
  const direct = await gatewayHarness(t, { TRUST_PROXY: '10.0.0.1' })
  const r1 = await request(`${direct.url}/api/auth/status`, { headers: { 'x-forwarded-for': '6.6.6.6' } })
  await r1.body.dump()
  t.equal(direct.auth.seen.at(-1)?.headers['x-forwarded-for'], '127.0.0.1', 'a spoofed header from an untrusted peer changes nothing')
  const proxied = await gatewayHarness(t, { TRUST_PROXY: '127.0.0.1' })
  const r2 = await request(`${proxied.url}/api/auth/status`, { headers: { 'x-forwarded-for': '6.6.6.6, 203.0.113.7' } })
  await r2.body.dump()
  t.equal(proxied.auth.seen.at(-1)?.headers['x-forwarded-for'], '203.0.113.7', 'behind a trusted proxy: the address it saw, not what the client wrote')
})

t.test('an upstream that is down gets a quick 503 JSON, not a hang', async (t) => {
  const h = await gatewayHarness(t)
  await h.auth.app.close()
  const start = Date.now()
  const res = await request(`${h.url}/api/auth/status`)
  t.equal(res.statusCode, 503)
  t.match(await res.body.json(), { code: 'GW_UPSTREAM_UNAVAILABLE', error: 'Service temporarily unavailable', request_id: String })
  t.ok(Date.now() - start < 2000, `answered in ${Date.now() - start} ms`)
  const ready = await request(`${h.url}/ready`)
  t.equal(ready.statusCode, 503)
  t.same((await ready.body.json() as { checks: object }).checks, { auth: 'failing', app: 'ok' })
})

t.test('revocation: refused at once, live sockets closed with 4401, other sessions untouched', async (t) => {
  const h = await gatewayHarness(t)
  const now = Math.floor(Date.now() / 1000)
  const alice = h.token({ iat: now - 10 })
  const aliceOther = h.token({ sid: 'ses_2', iat: now - 10 })
  const ws = new WebSocket(`${h.url.replace('http', 'ws')}/ws/chat?token=${alice}`)
  await once(ws, 'open')
  const ws2 = new WebSocket(`${h.url.replace('http', 'ws')}/ws/chat?token=${aliceOther}`)
  await once(ws2, 'open')
  for (const s of [ws, ws2]) { // a round trip: the upstream side is open, so the socket is registered
    s.send('x')
    await once(s, 'message')
  }
  t.equal(h.gateway.sockets.size, 2)
  await h.bus.publish('auth.revoked', { sid: 'ses_1', not_before: now })
  const [code] = await once(ws, 'close') as [number]
  t.equal(code, 4401, 'the revoked session\'s socket is closed with 4401')
  t.equal(ws2.readyState, WebSocket.OPEN, 'another session of the same user stays open')
  const res = await request(`${h.url}/api/auth/me`, { headers: { authorization: `Bearer ${alice}` } })
  t.equal(res.statusCode, 401)
  t.equal((await res.body.json() as { code: string }).code, 'GW_TOKEN_REVOKED')
  const other = await request(`${h.url}/api/auth/me`, { headers: { authorization: `Bearer ${aliceOther}` } })
  t.equal(other.statusCode, 200)
  await other.body.dump()
  const fresh = await request(`${h.url}/api/auth/me`, { headers: { authorization: `Bearer ${h.token({ sid: 'ses_1', iat: now + 1 })}` } })
  t.equal(fresh.statusCode, 200, 'tokens issued after not_before are fine')
  await fresh.body.dump()
  await h.bus.publish('auth.revoked', { user_id: 'user_alice', not_before: now })
  const [code2] = await once(ws2, 'close') as [number]
  t.equal(code2, 4401, 'a user-wide revocation closes every socket of the user')
  t.equal(h.gateway.sockets.size, 0)
  const metrics = await h.gateway.metrics.registry.metrics()
  t.match(metrics, /gateway_websockets_open\{service="gateway"\} 0/)
  t.match(metrics, /gateway_revocations_known\{service="gateway"\} 2/)
})

t.test('closing the gateway closes proxied sockets with 1001', async (t) => {
  const h = await gatewayHarness(t)
  const ws = new WebSocket(`${h.url.replace('http', 'ws')}/ws/chat?token=${h.token()}`)
  await once(ws, 'open')
  ws.send('x')
  await once(ws, 'message')
  const closed = once(ws, 'close')
  await h.gateway.close()
  const [code] = await closed as [number]
  t.equal(code, 1001)
})
