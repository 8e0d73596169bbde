import t from 'tap'
import { authHarness, claimsOf, refreshCookie, PASSWORD } from './harness.js'

t.test('register, login, me: the ClaraVerse wire format', async (t) => {
  const h = await authHarness(t)
  t.same((await h.app.inject({ url: '/api/auth/status' })).json(), { has_users: false })
  const reg = await h.register('  Alice@Example.COM ')
  t.equal(reg.statusCode, 201)
  const body = reg.json()
  t.same(Object.keys(body).sort(), ['access_token', 'expires_in', 'refresh_token', 'user'])
  t.equal(body.expires_in, 900)
  t.same(Object.keys(body.user).sort(), ['created_at', 'email', 'email_verified', 'id', 'last_login_at', 'role'])
  t.equal(body.user.email, 'alice@example.com', 'stored canonical')
  t.match(body.user.id, /^user_[A-Za-z0-9_-]{16}$/)
  t.equal(body.user.role, 'admin', 'the first user is admin')
  t.equal(reg.headers['cache-control'], 'no-store')
  const cookie = refreshCookie(reg)
  t.equal(cookie?.value, body.refresh_token)
  t.match(cookie?.attributes, /HttpOnly/)
  t.match(cookie?.attributes, /SameSite=Strict/)
  t.match(cookie?.attributes, /Path=\/api\/auth/)
  t.notMatch(cookie?.attributes, /Secure/, 'not Secure over plain http')
  t.same((await h.app.inject({ url: '/api/auth/status' })).json(), { has_users: true })

  const access = claimsOf(body.access_token)
  t.match(access, { sub: body.user.id, email: 'alice@example.com', role: 'admin', typ: 'access', iss: 'claraverse-auth', aud: 'claraverse' })
  t.equal((access['exp'] as number) - (access['iat'] as number), 900)
  t.type(access['jti'], 'string')
  t.type(access['sid'], 'string')
  const refresh = claimsOf(body.refresh_token)
  t.match(refresh, { sub: body.user.id, typ: 'refresh', sid: access['sid'] })
  t.equal((refresh['exp'] as number) - (refresh['iat'] as number), 7 * 86400)
  const header = JSON.parse(Buffer.from(body.access_token.split('.')[0], 'base64url').toString())
  t.same(header, { alg: 'HS256', typ: 'JWT' })

  const bob = await h.register('bob@example.com')
  t.equal(bob.json().user.role, 'user', 'the second user is not')

  const login = await h.login('ALICE@example.com')
  t.equal(login.statusCode, 200)
  t.equal(login.json().user.id, body.user.id, 'one account whatever the case')
  t.type(login.json().user.last_login_at, 'string')
  t.not(claimsOf(login.json().access_token)['sid'], access['sid'], 'each login is its own session')

  const me = await h.app.inject({ url: '/api/auth/me', headers: h.as(login.json().access_token) })
  t.equal(me.statusCode, 200)
  t.same(me.json(), login.json().user)
  t.equal((await h.app.inject({ url: '/api/auth/me' })).statusCode, 401, 'no assertion, no user')
  t.equal((await h.app.inject({ url: '/api/auth/me', headers: { authorization: `Bearer ${login.json().access_token}` } })).statusCode, 401,
    'a bearer token alone is not an identity: only the gateway assertion is')
})

t.test('registration rules', async (t) => {
  const h = await authHarness(t)
  await h.register('carol@example.com')
  const dup = await h.register('CAROL@example.com')
  t.equal(dup.statusCode, 409)
  t.same(Object.keys(dup.json()).sort(), ['code', 'error', 'request_id'])
  t.equal(dup.json().code, 'AUTH_EMAIL_TAKEN')
  const fullwidth = await h.register('ｃａｒｏｌ@example.com')
  t.equal(fullwidth.statusCode, 409, 'NFKC folds fullwidth letters into the same account')

  const cases: Array<[string, string, number, string, RegExp]> = [
    ['short', 'd1@example.com', 400, 'AUTH_WEAK_PASSWORD', /at least 8 characters/],
    ['common', 'd2@example.com', 400, 'AUTH_WEAK_PASSWORD', /too common/],
    ['long', 'd3@example.com', 400, 'AUTH_WEAK_PASSWORD', /at most 256 characters/],
    ['bad email', 'not-an-email', 400, 'AUTH_INVALID_EMAIL', /valid email/],
  ]
  const passwords: Record<string, string> = { short: 'abc123', common: 'password123', long: 'x'.repeat(257), 'bad email': PASSWORD }
  for (const [name, email, status, code, message] of cases) {
    const res = await h.register(email, passwords[name])
    t.equal(res.statusCode, status, name)
    t.equal(res.json().code, code, name)
    t.match(res.json().error, message, name)
  }
  t.equal((await h.register('e@example.com', '12345678')).json().error, 'This password is too common; choose a less predictable one')
  t.equal((await h.register('f@example.com', 'ǅǅǅǅǅǅǅǅ')).statusCode, 201, 'no composition rules; NFKC-normalised unicode is fine')
})

t.test('login failures say nothing about the account', async (t) => {
  const h = await authHarness(t)
  await h.register('dave@example.com')
  const wrong = await h.login('dave@example.com', 'not the password')
  const unknown = await h.login('nobody@example.com', 'not the password')
  const malformed = await h.login('nobody', 'not the password')
  for (const res of [wrong, unknown, malformed]) {
    t.equal(res.statusCode, 401)
    t.equal(res.json().error, 'Invalid email or password')
    t.equal(res.json().code, 'AUTH_INVALID_CREDENTIALS')
  }
})

t.test('bad input is a 4xx with the error body, never a 500', async (t) => {
  const h = await authHarness(t)
  const json = { 'content-type': 'application/json' }
  const cases: Array<[string, string, string | object]> = [
    ['missing fields', '/api/auth/register', {}],
    ['wrong types', '/api/auth/register', { email: 1, password: true }],
    ['array body', '/api/auth/login', [1, 2]],
    ['null body', '/api/auth/login', 'null'],
    ['non-JSON', '/api/auth/login', '{email:'],
    ['huge strings', '/api/auth/register', { email: `${'a'.repeat(100_000)}@x.com`, password: 'p'.repeat(100_000) }],
    ['__proto__', '/api/auth/register', '{"email":"p@x.com","password":"a sturdy passphrase","__proto__":{"role":"admin"}}'],
    ['extra field role', '/api/auth/register', { email: 'q@x.com', password: PASSWORD, role: 'admin' }],
    ['refresh with wrong type', '/api/auth/refresh', { refresh_token: 5 }],
  ]
  for (const [name, url, payload] of cases) {
    const res = await h.app.inject({ method: 'POST', url, headers: json, payload: typeof payload === 'string' ? payload : JSON.stringify(payload) })
    t.ok(res.statusCode >= 400 && res.statusCode < 500, `${name}: ${res.statusCode}`)
    t.type(res.json().error, 'string', name)
    t.type(res.json().code, 'string', name)
    t.type(res.json().request_id, 'string', name)
  }
  t.same((await h.app.inject({ url: '/api/auth/status' })).json(), { has_users: false }, 'none of it created an account')
})

t.test('a login rehashes a password stored with older parameters', async (t) => {
  const { openStore } = await import('@claraverse/store')
  const { mkdtempSync } = await import('node:fs')
  const { tmpdir } = await import('node:os')
  const { join } = await import('node:path')
  const dir = mkdtempSync(join(tmpdir(), 'cv-rehash-'))
  const hashOf = async (): Promise<string> => {
    const store = await openStore({ service: 'auth', dataDir: dir })
    const doc = await (await store.collection<{ _id: string; password_hash: string }>('users')).findOne({})
    await store.close()
    return doc?.password_hash ?? ''
  }
  const older = await authHarness(t, { env: { DATA_DIR: dir, ARGON2_TIME_COST: '1' }, store: () => openStore({ service: 'auth', dataDir: dir }) })
  await older.register('old@example.com')
  await older.app.close()
  t.match(await hashOf(), /^\$argon2id\$v=19\$m=8192,p=1,t=1\$/)
  const newer = await authHarness(t, { env: { DATA_DIR: dir, ARGON2_TIME_COST: '3' }, store: () => openStore({ service: 'auth', dataDir: dir }) })
  t.equal((await newer.login('old@example.com')).statusCode, 200)
  t.match(await hashOf(), /^\$argon2id\$v=19\$m=8192,p=1,t=3\$/, 'rehashed with the new parameters')
  t.equal((await newer.login('old@example.com')).statusCode, 200, 'and the password still works')
})

t.test('sessions end when the family expires', async (t) => {
  const h = await authHarness(t, { env: { JWT_ACCESS_TOKEN_EXPIRY: '1s', JWT_REFRESH_TOKEN_EXPIRY: '2s' } })
  const reg = (await h.register('short@example.com')).json()
  t.equal((await h.app.inject({ method: 'POST', url: '/api/auth/refresh', cookies: { refresh_token: reg.refresh_token } })).statusCode, 200)
  await new Promise((r) => setTimeout(r, 2100))
  const list = await h.app.inject({ url: '/api/auth/sessions', headers: h.as(reg.access_token) })
  t.equal(list.json().total_count, 0, 'the expired session is gone from the store')
})
