import t from 'tap'
import { authHarness, claimsOf, refreshCookie } from './harness.js'

const refreshWith = (h: Awaited<ReturnType<typeof authHarness>>, how: 'cookie' | 'body' | 'empty-json', token: string) =>
  h.app.inject({
    method: 'POST', url: '/api/auth/refresh',
    ...(how === 'cookie' ? { cookies: { refresh_token: token } } : {}),
    ...(how === 'body' ? { payload: { refresh_token: token } } : {}),
    ...(how === 'empty-json' ? { cookies: { refresh_token: token }, headers: { 'content-type': 'application/json' }, payload: '' } : {}),
  })

t.test('refresh rotates on every use, from cookie or body, and keeps the family expiry', async (t) => {
  const h = await authHarness(t)
  const reg = (await h.register('erin@example.com')).json()
  const first = await refreshWith(h, 'cookie', reg.refresh_token)
  t.equal(first.statusCode, 200, 'a POST with no body at all, token in the cookie')
  t.same(Object.keys(first.json()).sort(), ['access_token', 'expires_in', 'refresh_token'])
  t.not(first.json().refresh_token, reg.refresh_token, 'rotated')
  t.equal(refreshCookie(first)?.value, first.json().refresh_token, 'the cookie is rotated too')
  t.equal(claimsOf(first.json().refresh_token)['exp'], claimsOf(reg.refresh_token)['exp'], 'rotation does not extend the family')
  t.equal(claimsOf(first.json().access_token)['sid'], claimsOf(reg.access_token)['sid'], 'same session family')
  const second = await refreshWith(h, 'body', first.json().refresh_token)
  t.equal(second.statusCode, 200, 'token in the body')
  const third = await refreshWith(h, 'empty-json', second.json().refresh_token)
  t.equal(third.statusCode, 200, 'Content-Type: application/json with an empty body')
})

t.test('the parent replayed inside the grace window gets a valid pair; the family survives', async (t) => {
  const h = await authHarness(t)
  const reg = (await h.register('fay@example.com')).json()
  // Two tabs refresh with the same token at once.
  const [a, b] = await Promise.all([refreshWith(h, 'cookie', reg.refresh_token), refreshWith(h, 'cookie', reg.refresh_token)])
  t.equal(a.statusCode, 200)
  t.equal(b.statusCode, 200)
  await h.flush()
  t.equal(h.events.length, 0, 'nothing revoked')
  // Whichever cookie the browser kept still works.
  t.equal((await refreshWith(h, 'cookie', b.json().refresh_token)).statusCode, 200)
  const audit = await h.store.collection('audit')
  t.equal(await audit.count({ type: 'refresh_token.reuse_detected' }), 0)
})

t.test('reuse outside the grace window revokes the whole family and is audited', async (t) => {
  const h = await authHarness(t, { env: { REFRESH_REUSE_GRACE: '1s' } })
  const reg = (await h.register('gus@example.com')).json()
  const sid = claimsOf(reg.access_token)['sid']
  const child = (await refreshWith(h, 'cookie', reg.refresh_token)).json()
  await new Promise((r) => setTimeout(r, 1100))
  const replay = await refreshWith(h, 'cookie', reg.refresh_token)
  t.equal(replay.statusCode, 401)
  t.equal(replay.json().code, 'AUTH_INVALID_REFRESH_TOKEN')
  t.match(String(replay.headers['set-cookie']), /refresh_token=;/, 'the cookie is cleared')
  t.equal((await refreshWith(h, 'cookie', child.refresh_token)).statusCode, 401, 'the legitimate child is dead too')
  await h.flush()
  t.same(h.events.map((e) => e.channel), ['auth.revoked'])
  await h.flush()
  t.match(h.events[0]?.event, { sid, not_before: Number })
  const audit = await h.store.collection('audit')
  t.equal(await audit.count({ type: 'refresh_token.reuse_detected' }), 1)
  const metrics = await h.app.metrics.registry.metrics()
  t.match(metrics, /auth_refresh_reuse_detected_total\{service="auth"\} 1/, 'counted for operators')
  t.match(metrics, /auth_revocations_total\{scope="session",service="auth"\} 1/)
  t.equal((await h.login('gus@example.com')).statusCode, 200, 'a new login still works')
})

t.test('a grandparent is reuse even inside the grace window', async (t) => {
  const h = await authHarness(t)
  const reg = (await h.register('hal@example.com')).json()
  const c1 = (await refreshWith(h, 'cookie', reg.refresh_token)).json()
  await refreshWith(h, 'cookie', c1.refresh_token)
  t.equal((await refreshWith(h, 'cookie', reg.refresh_token)).statusCode, 401)
  await h.flush()
  t.equal(h.events.length, 1)
})

t.test('tokens of the wrong kind or signer are refused', async (t) => {
  const h = await authHarness(t)
  const reg = (await h.register('ida@example.com')).json()
  t.equal((await refreshWith(h, 'cookie', reg.access_token)).statusCode, 401, 'an access token is not a refresh token')
  await h.app.inject({ method: 'POST', url: '/api/auth/logout', headers: { authorization: `Bearer ${reg.refresh_token}` } })
  t.equal((await refreshWith(h, 'cookie', reg.refresh_token)).statusCode, 200, 'a refresh token presented as a bearer access token is not accepted as one')
  t.equal((await refreshWith(h, 'cookie', 'garbage')).statusCode, 401)
  const [head, body] = reg.refresh_token.split('.')
  t.equal((await refreshWith(h, 'body', `${head}.${body}.AAAA`)).statusCode, 401, 'bad signature')
  t.equal((await h.app.inject({ method: 'POST', url: '/api/auth/refresh' })).statusCode, 401, 'nothing presented')
  await h.flush()
  t.equal(h.events.length, 0, 'forgeries do not revoke anything')
})

t.test('logout revokes the presented session only, from cookie, body or bearer', async (t) => {
  const h = await authHarness(t)
  await h.register('jan@example.com')
  const s1 = (await h.login('jan@example.com')).json()
  const s2 = (await h.login('jan@example.com')).json()
  const s3 = (await h.login('jan@example.com')).json()
  const out = await h.app.inject({ method: 'POST', url: '/api/auth/logout', cookies: { refresh_token: s1.refresh_token } })
  t.equal(out.statusCode, 200)
  t.match(String(out.headers['set-cookie']), /refresh_token=;.*Path=\/api\/auth/)
  await h.flush()
  t.match(h.events.at(-1), { channel: 'auth.revoked', event: { sid: claimsOf(s1.access_token)['sid'], not_before: Number } })
  t.notOk((h.events.at(-1)?.event as { user_id?: string }).user_id, 'session-scoped: no user_id')
  t.equal((await refreshWith(h, 'cookie', s1.refresh_token)).statusCode, 401)
  t.equal((await refreshWith(h, 'cookie', s2.refresh_token)).statusCode, 200, 'other sessions live on')
  await h.app.inject({ method: 'POST', url: '/api/auth/logout', payload: { refresh_token: s2.refresh_token } })
  t.equal((await refreshWith(h, 'cookie', s2.refresh_token)).statusCode, 401, 'body')
  await h.app.inject({ method: 'POST', url: '/api/auth/logout', headers: { authorization: `Bearer ${s3.access_token}` } })
  t.equal((await refreshWith(h, 'cookie', s3.refresh_token)).statusCode, 401, 'bearer')
  const s4 = (await h.login('jan@example.com')).json()
  await h.app.inject({ method: 'POST', url: '/api/auth/logout', headers: h.as(s4.access_token) })
  t.equal((await refreshWith(h, 'cookie', s4.refresh_token)).statusCode, 401, 'the gateway\'s assertion (it strips the bearer token)')
  const forged = await h.app.inject({ method: 'POST', url: '/api/auth/logout', headers: { 'x-identity': 'forged' } })
  t.equal(forged.statusCode, 401, 'an invalid assertion is refused even where one is optional')
  t.equal((await h.app.inject({ method: 'POST', url: '/api/auth/logout', headers: { 'content-type': 'application/json' }, payload: '' })).statusCode, 200, 'nothing presented is fine')
  await h.flush()
  t.equal(h.events.length, 4)
})

t.test('sessions: list, revoke one, logout-all, password change', async (t) => {
  const h = await authHarness(t)
  await h.register('kim@example.com')
  const a = (await h.login('kim@example.com')).json()
  const b = (await h.login('kim@example.com')).json()
  const list = await h.app.inject({ url: '/api/auth/sessions', headers: { ...h.as(a.access_token), 'user-agent': 'tests' } })
  t.equal(list.statusCode, 200)
  t.equal(list.json().total_count, 3)
  t.equal(list.json().sessions.filter((s: { current: boolean }) => s.current).length, 1)
  const sidB = claimsOf(b.access_token)['sid'] as string
  t.equal((await h.app.inject({ method: 'DELETE', url: `/api/auth/sessions/${sidB}`, headers: h.as(a.access_token) })).statusCode, 200)
  t.equal((await refreshWith(h, 'cookie', b.refresh_token)).statusCode, 401)
  t.equal((await h.app.inject({ method: 'DELETE', url: `/api/auth/sessions/${sidB}`, headers: h.as(a.access_token) })).statusCode, 404, 'gone')

  // Another user cannot revoke kim's session.
  await h.register('lee@example.com')
  const lee = (await h.login('lee@example.com')).json()
  const sidA = claimsOf(a.access_token)['sid'] as string
  t.equal((await h.app.inject({ method: 'DELETE', url: `/api/auth/sessions/${sidA}`, headers: h.as(lee.access_token) })).statusCode, 404)
  t.equal((await refreshWith(h, 'cookie', a.refresh_token)).statusCode, 200)

  const wrong = await h.app.inject({ method: 'POST', url: '/api/auth/password', headers: h.as(a.access_token), payload: { current_password: 'nope nope nope', new_password: 'another fine passphrase' } })
  t.equal(wrong.statusCode, 403)
  t.equal(wrong.json().code, 'AUTH_WRONG_PASSWORD')
  const weak = await h.app.inject({ method: 'POST', url: '/api/auth/password', headers: h.as(a.access_token), payload: { current_password: 'a sturdy passphrase 42', new_password: 'password' } })
  t.equal(weak.statusCode, 400)
  const before = h.events.length
  const changed = await h.app.inject({ method: 'POST', url: '/api/auth/password', headers: h.as(a.access_token), payload: { current_password: 'a sturdy passphrase 42', new_password: 'another fine passphrase' } })
  t.equal(changed.statusCode, 200)
  const userId = claimsOf(a.access_token)['sub']
  await h.flush()
  t.match(h.events[before], { channel: 'auth.revoked', event: { user_id: userId } }, 'every old token is revoked')
  const nb = (h.events[before]?.event as { not_before: number }).not_before
  t.ok((claimsOf(changed.json().access_token)['iat'] as number) >= nb, 'the new tokens survive the revocation they caused')
  t.equal(refreshCookie(changed)?.value, changed.json().refresh_token)
  t.equal((await h.login('kim@example.com')).statusCode, 401, 'old password gone')
  t.equal((await h.login('kim@example.com', 'another fine passphrase')).statusCode, 200)
  t.equal((await refreshWith(h, 'cookie', changed.json().refresh_token)).statusCode, 200, 'this device continues')

  const all = await h.app.inject({ method: 'POST', url: '/api/auth/logout-all', headers: { ...h.as(changed.json().access_token), 'content-type': 'application/json' }, payload: '' })
  t.equal(all.statusCode, 200)
  t.ok(all.json().revoked_sessions >= 2)
  await h.flush()
  t.match(h.events.at(-1), { channel: 'auth.revoked', event: { user_id: userId } })
  const remaining = await h.app.inject({ url: '/api/auth/sessions', headers: h.as(changed.json().access_token) })
  t.equal(remaining.json().total_count, 0)
})
