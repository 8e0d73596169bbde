import t from 'tap'
import { request } from 'undici'
import { createSigner } from 'fast-jwt'
import { gatewayHarness, SECRET } from './harness.js'

const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url')

t.test('JWT attacks are refused before anything reaches a service', async (t) => {
  const h = await gatewayHarness(t)
  const good = h.token()
  const [, payload] = good.split('.') as [string, string, string]
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString())
  const refresh = createSigner({ key: SECRET, algorithm: 'HS256', iss: 'claraverse-auth', aud: 'claraverse', expiresIn: 600_000 })({ sub: 'user_alice', sid: 'ses_1', typ: 'refresh', jti: 'r1' })
  const cases: Array<[string, string]> = [
    ['alg none', `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`],
    ['alg none with a fake signature', `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.c2ln`],
    ['HS512 (wrong algorithm)', h.token({}, { algorithm: 'HS512' })],
    ['wrong secret', h.token({}, { secret: 'cd'.repeat(64) })],
    ['expired', createSigner({ key: SECRET, algorithm: 'HS256', iss: 'claraverse-auth', aud: 'claraverse' })({ ...claims, iat: 1000, exp: 2000 })],
    ['refresh token as access', refresh],
    ['missing typ', createSigner({ key: SECRET, algorithm: 'HS256', iss: 'claraverse-auth', aud: 'claraverse', expiresIn: 600_000 })({ sub: 'user_alice', email: 'a@x', role: 'user', sid: 'ses_1' })],
    ['wrong issuer', createSigner({ key: SECRET, algorithm: 'HS256', iss: 'someone-else', aud: 'claraverse', expiresIn: 600_000 })({ ...claims, iss: undefined, aud: undefined, exp: undefined })],
    ['wrong audience', createSigner({ key: SECRET, algorithm: 'HS256', iss: 'claraverse-auth', aud: 'other', expiresIn: 600_000 })({ ...claims, iss: undefined, aud: undefined, exp: undefined })],
    ['role escalated in payload', `${good.split('.')[0]}.${b64({ ...claims, role: 'admin' })}.${good.split('.')[2]}`],
    ['garbage', 'not-a-jwt'],
  ]
  const before = h.auth.seen.length
  for (const [name, token] of cases) {
    const res = await request(`${h.url}/api/auth/me`, { headers: { authorization: `Bearer ${token}` } })
    t.equal(res.statusCode, 401, name)
    const body = await res.body.json() as { code: string; error: string; request_id: string }
    t.equal(body.code, 'GW_TOKEN_INVALID', `${name}: code`)
  }
  for (const [name, auth] of [['two tokens', `Bearer ${good} ${good}`], ['Basic scheme', `Basic ${Buffer.from('a:b').toString('base64')}`], ['empty bearer', 'Bearer ']] as const) {
    const res = await request(`${h.url}/api/auth/me`, { headers: { authorization: auth } })
    t.equal(res.statusCode, 401, name)
    await res.body.dump()
  }
  t.equal(h.auth.seen.length, before, 'no attack reached the auth service')
  const ok = await request(`${h.url}/api/auth/me`, { headers: { authorization: `Bearer ${good}` } })
  t.equal(ok.statusCode, 200, 'the genuine token works')
  await ok.body.dump()
})

t.test('admin routes need an admin role or a superadmin id; DEV_API_KEY only outside production', async (t) => {
  const h = await gatewayHarness(t, { DEV_API_KEY: 'dev-key-123' })
  const get = async (path: string, headers: Record<string, string>): Promise<number> => {
    const res = await request(`${h.url}${path}`, { headers })
    await res.body.dump()
    return res.statusCode
  }
  t.equal(await get('/api/admin/users', { authorization: `Bearer ${h.token()}` }), 403, 'a user')
  t.equal(await get('/api/admin/users', { authorization: `Bearer ${h.token({ role: 'admin' })}` }), 200, 'an admin')
  t.equal(await get('/api/admin/users', {}), 401)
  t.equal(await get('/api/admin/analytics', { authorization: `Bearer ${h.token({ role: 'admin' })}` }), 200)
  t.equal(h.app.seen.at(-1)?.url, '/api/admin/analytics', 'analytics go to the app')
  const id = await h.identityOf(h.app.seen.at(-1)!.headers['x-identity'], 'auth')
  t.same(id.aud, ['app', 'auth'], 'the app may ask auth on the admin\'s behalf')
  t.equal(await get('/api/admin/users', { 'x-api-key': 'dev-key-123' }), 200, 'DEV_API_KEY acts as an admin in development')
  t.equal(await get('/api/admin/users', { 'x-api-key': 'dev-key-124' }), 401, 'a wrong key is nothing')
  const prod = await gatewayHarness(t, {
    ENVIRONMENT: 'production', DEV_API_KEY: 'dev-key-123', ALLOWED_ORIGINS: 'https://chat.example.com', REDIS_URL: 'redis://127.0.0.1:1',
  })
  const res = await request(`${prod.url}/api/admin/users`, { headers: { 'x-api-key': 'dev-key-123' } })
  t.equal(res.statusCode, 401, 'ignored in production')
  await res.body.dump()
})

t.test('superadmin ids grant admin, read on every check', async (t) => {
  const h = await gatewayHarness(t)
  const res1 = await request(`${h.url}/api/admin/users`, { headers: { authorization: `Bearer ${h.token()}` } })
  t.equal(res1.statusCode, 403)
  await res1.body.dump()
  h.env['SUPERADMIN_USER_IDS'] = 'user_bob, user_alice'
  const res2 = await request(`${h.url}/api/admin/users`, { headers: { authorization: `Bearer ${h.token()}` } })
  t.equal(res2.statusCode, 200)
  await res2.body.dump()
})
