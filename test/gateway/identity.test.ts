import t from 'tap'
import { request } from 'undici'
import WebSocket from 'ws'
import { once } from 'node:events'
import { gatewayHarness } from './harness.js'

const spoofs: Record<string, string> = {
  'x-identity': 'forged', 'X-Identity': 'forged2', 'x_identity': 'forged3', 'X-Identity-Extra': 'x',
  'x-user-id': 'user_admin', 'X-User-Role': 'admin', 'x_user_id': 'user_admin', 'X_USER_EMAIL': 'boss@example.com',
}

const leaked = (headers: Record<string, unknown>): string[] =>
  Object.keys(headers).filter((k) => /^x[-_](user|identity)/i.test(k) && k !== 'x-identity')

t.test('HTTP: client identity headers never reach a service; the gateway\'s assertion does', async (t) => {
  const h = await gatewayHarness(t)
  const token = h.token()
  const res = await request(`${h.url}/api/auth/me`, { headers: { ...spoofs, authorization: `Bearer ${token}` } })
  t.equal(res.statusCode, 200)
  await res.body.json()
  const seen = h.auth.seen.at(-1)!
  t.same(leaked(seen.headers), [], 'no x-user-* or x_identity variants upstream')
  const id = await h.identityOf(seen.headers['x-identity'])
  t.match(id, { sub: 'user_alice', role: 'user', sid: 'ses_1', aud: ['auth'] }, 'the one x-identity is ours')
  t.notOk(seen.headers['authorization'], 'the bearer token does not travel upstream')
  t.equal(seen.headers['x-request-id'], res.headers['x-request-id'])

  // Public route, no token: spoofed headers are still stripped and no assertion is added.
  await (await request(`${h.url}/api/auth/status`, { headers: spoofs })).body.json()
  const anon = h.auth.seen.at(-1)!
  t.same(leaked(anon.headers), [])
  t.notOk(anon.headers['x-identity'], 'anonymous requests carry no assertion')
})

t.test('each route gets its own audience', async (t) => {
  const h = await gatewayHarness(t)
  await (await request(`${h.url}/api/chats`, { headers: { authorization: `Bearer ${h.token()}` } })).body.json()
  const id = await h.identityOf(h.app.seen.at(-1)!.headers['x-identity'], 'vault')
  t.same(id.aud, ['app', 'vault'], 'chats: the app and, on the user\'s behalf, the vault')
  await t.rejects(h.identityOf(h.app.seen.at(-1)!.headers['x-identity'], 'auth'), 'not auth')
})

t.test('WebSocket: token from query, header or subprotocol; stripped; assertion added; spoofs removed', async (t) => {
  const h = await gatewayHarness(t)
  const wsUrl = h.url.replace('http', 'ws')
  const ways: Array<[string, string, string[] | undefined, Record<string, string>]> = [
    ['query', `${wsUrl}/ws/chat?token=${h.token()}&room=1`, ['claraverse.v1'], {}],
    ['authorization', `${wsUrl}/ws/chat`, undefined, { authorization: `Bearer ${h.token()}` }],
    ['subprotocol', `${wsUrl}/ws/chat`, ['claraverse.v1', `bearer.${h.token()}`], {}],
  ]
  for (const [how, url, protocols, headers] of ways) {
    const ws = new WebSocket(url, protocols, { headers: { ...spoofs, ...headers, origin: 'http://localhost:5173' } })
    await once(ws, 'open')
    if (protocols) t.equal(ws.protocol, 'claraverse.v1', `${how}: the gateway answers claraverse.v1, never the token`)
    ws.send('hi')
    const [msg] = await once(ws, 'message') as [Buffer]
    t.equal(msg.toString(), 'echo:hi', `${how}: proxied both ways`)
    ws.close()
    const seen = h.app.wsSeen.at(-1)!
    t.same(leaked(seen.headers), [], `${how}: no spoofed identity upstream`)
    const id = await h.identityOf(seen.headers['x-identity'], 'app')
    t.equal(id.sub, 'user_alice', `${how}: the assertion arrives upstream (the proxy's default rewrite would drop it)`)
    t.notMatch(seen.url, /token=/, `${how}: no token in the upstream URL`)
    t.notOk(seen.headers['authorization'], `${how}: no authorization upstream`)
    t.notMatch(String(seen.headers['sec-websocket-protocol'] ?? ''), /bearer/, `${how}: no bearer subprotocol upstream`)
  }
  t.match(h.app.wsSeen[0]?.url, /room=1/, 'other query parameters pass')
})

t.test('WebSocket upgrades that fail get HTTP errors, never 101', async (t) => {
  const h = await gatewayHarness(t)
  const wsUrl = h.url.replace('http', 'ws')
  const refused = async (url: string, headers: Record<string, string>, protocols?: string[]): Promise<number> => {
    const ws = new WebSocket(url, protocols, { headers })
    ws.on('error', () => {}) // the refused handshake also surfaces as an error event
    const [req, res] = await once(ws, 'unexpected-response') as [{ destroy(): void }, { statusCode: number }]
    req.destroy()
    return res.statusCode
  }
  t.equal(await refused(`${wsUrl}/ws/chat`, {}), 401, 'no token')
  t.equal(await refused(`${wsUrl}/ws/chat?token=garbage`, {}), 401, 'bad token')
  t.equal(await refused(`${wsUrl}/ws/chat?token=${h.token()}`, { origin: 'https://evil.example.com' }), 403, 'foreign Origin (cross-site WebSocket hijacking)')
  t.equal(await refused(`${wsUrl}/ws/chat?token=${h.token()}`, { origin: 'http://localhost:5173.evil.com' }), 403, 'an allowed origin as a prefix is not allowed')
  t.equal(h.app.wsSeen.length, 0, 'nothing reached the app')
})
