import t from 'tap'
import { authHarness, claimsOf, type Harness } from './harness.js'

async function setup(t: Parameters<typeof authHarness>[0], env = {}) {
  const h = await authHarness(t, { env })
  const admin = (await h.register('root@example.com')).json()
  const users = []
  for (const name of ['ann', 'ben', 'cat']) users.push((await h.register(`${name}@example.com`)).json())
  return { h, admin, users }
}
const asAdmin = (h: Harness, token: string) => h.as(token)

t.test('admin lists, searches, paginates and reads users', async (t) => {
  const { h, admin, users } = await setup(t)
  const list = await h.app.inject({ url: '/api/admin/users?page=1&page_size=2', headers: asAdmin(h, admin.access_token) })
  t.equal(list.statusCode, 200)
  t.equal(list.json().total_count, 4)
  t.equal(list.json().users.length, 2)
  t.equal(list.json().page_size, 2)
  t.same(Object.keys(list.json().users[0]).sort(), ['created_at', 'disabled', 'email', 'email_verified', 'id', 'is_superadmin', 'last_login_at', 'role', 'updated_at'])
  t.notMatch(list.body, /password|argon2/, 'no hash ever leaves')
  const page2 = await h.app.inject({ url: '/api/admin/users?page=2&page_size=2', headers: asAdmin(h, admin.access_token) })
  t.equal(page2.json().users.length, 2)
  const ids = [...list.json().users, ...page2.json().users].map((u: { id: string }) => u.id)
  t.equal(new Set(ids).size, 4, 'pages do not overlap')
  const search = await h.app.inject({ url: '/api/admin/users?search=BE', headers: asAdmin(h, admin.access_token) })
  t.same(search.json().users.map((u: { email: string }) => u.email), ['ben@example.com'])
  const one = await h.app.inject({ url: `/api/admin/users/${users[0].user.id}`, headers: asAdmin(h, admin.access_token) })
  t.equal(one.json().email, 'ann@example.com')
  t.equal((await h.app.inject({ url: '/api/admin/users/user_nope', headers: asAdmin(h, admin.access_token) })).statusCode, 404)
  t.equal((await h.app.inject({ url: '/api/admin/users?page_size=1000', headers: asAdmin(h, admin.access_token) })).statusCode, 400, 'bounded page size')
  t.equal((await h.app.inject({ url: '/api/admin/users?page=0', headers: asAdmin(h, admin.access_token) })).statusCode, 400)

  const forbidden = await h.app.inject({ url: '/api/admin/users', headers: h.as(users[0].access_token) })
  t.equal(forbidden.statusCode, 403, 'a user is refused by the service itself, not only by the gateway')
  t.equal(forbidden.json().code, 'AUTH_ADMIN_REQUIRED')
  const forged = await h.app.inject({ url: '/api/admin/users', headers: h.as(users[0].access_token.split('.')[0] + '.' + Buffer.from(JSON.stringify({ ...claimsOf(users[0].access_token), role: 'admin' })).toString('base64url') + '.x') })
  t.equal(forged.statusCode, 403, 'a role claim is not enough: the stored role decides')

  const me = await h.app.inject({ url: '/api/admin/me', headers: asAdmin(h, admin.access_token) })
  t.same(me.json(), { is_admin: true, is_superadmin: false, user_id: admin.user.id, email: 'root@example.com' })
})

t.test('role and disabled changes revoke at once; disabled users cannot log in or refresh', async (t) => {
  const { h, admin, users } = await setup(t)
  const ann = users[0]
  const patch = (id: string, body: object, token = admin.access_token) =>
    h.app.inject({ method: 'PATCH', url: `/api/admin/users/${id}`, headers: asAdmin(h, token), payload: body })
  const promoted = await patch(ann.user.id, { role: 'admin' })
  t.equal(promoted.statusCode, 200)
  t.equal(promoted.json().role, 'admin')
  await h.flush()
  t.match(h.events.at(-1), { channel: 'auth.revoked', event: { user_id: ann.user.id } })
  t.equal((await h.app.inject({ method: 'POST', url: '/api/auth/refresh', cookies: { refresh_token: ann.refresh_token } })).statusCode, 401, 'old tokens carry the old role: gone')

  const disabled = await patch(users[1].user.id, { disabled: true })
  t.equal(disabled.json().disabled, true)
  t.equal((await h.app.inject({ method: 'POST', url: '/api/auth/refresh', cookies: { refresh_token: users[1].refresh_token } })).statusCode, 401, 'a disabled user cannot refresh')
  const login = await h.login('ben@example.com')
  t.equal(login.statusCode, 401, 'a disabled account cannot log in')
  t.equal(login.json().code, 'AUTH_INVALID_CREDENTIALS', 'and the right password is not confirmed')
  t.equal((await patch(users[1].user.id, { disabled: false })).json().disabled, false)
  t.equal((await h.login('ben@example.com')).statusCode, 200)

  t.equal((await patch(ann.user.id, {})).statusCode, 400, 'an empty patch is refused')
  t.equal((await patch(ann.user.id, { role: 'root' })).statusCode, 400)
  t.equal((await patch(ann.user.id, { email: 'x@y.z' })).statusCode, 400, 'unknown fields are refused')
  const audit = await h.app.inject({ url: '/api/admin/audit?type=admin.user_updated', headers: asAdmin(h, admin.access_token) })
  t.equal(audit.json().total_count, 3)
  t.match(audit.json().events[0], { type: 'admin.user_updated', actor_id: admin.user.id, target_id: users[1].user.id })
})

t.test('superadmins, self-demotion and the last admin are protected', async (t) => {
  const env: Record<string, string> = {}
  const { h, admin, users } = await setup(t, env)
  const patch = (id: string, body: object, token = admin.access_token) =>
    h.app.inject({ method: 'PATCH', url: `/api/admin/users/${id}`, headers: asAdmin(h, token), payload: body })
  const self = await patch(admin.user.id, { role: 'user' })
  t.equal(self.statusCode, 403)
  t.match(self.json().error, /yourself/)
  t.equal((await patch(admin.user.id, { disabled: true })).statusCode, 403)
  t.equal((await h.app.inject({ method: 'DELETE', url: `/api/admin/users/${admin.user.id}`, headers: asAdmin(h, admin.access_token) })).statusCode, 403)

  // A second admin cannot remove the first when that would leave none... but with two, one may go.
  await patch(users[0].user.id, { role: 'admin' })
  const ann = (await h.login('ann@example.com')).json()
  t.equal((await patch(admin.user.id, { role: 'user' }, ann.access_token)).statusCode, 200, 'one of two admins may be demoted')
  const root = (await h.login('root@example.com')).json()
  t.equal((await h.app.inject({ url: '/api/admin/users', headers: asAdmin(h, root.access_token) })).statusCode, 403, 'the demoted admin lost access')
  const last = await patch(users[0].user.id, { disabled: true }, ann.access_token)
  t.equal(last.statusCode, 403, 'self-disable refused first')

  // Superadmin via env, read on every check.
  h.env['SUPERADMIN_USER_IDS'] = root.user.id
  const rootNow = await h.app.inject({ url: '/api/admin/me', headers: asAdmin(h, root.access_token) })
  t.same(rootNow.json(), { is_admin: true, is_superadmin: true, user_id: root.user.id, email: 'root@example.com' })
  const demoteSuper = await patch(root.user.id, { disabled: true }, ann.access_token)
  t.equal(demoteSuper.statusCode, 403)
  t.match(demoteSuper.json().error, /Superadmins/)
  t.equal((await h.app.inject({ method: 'DELETE', url: `/api/admin/users/${root.user.id}`, headers: asAdmin(h, ann.access_token) })).statusCode, 403)
  // The superadmin may demote ann: ann is not the last admin while the superadmin acts.
  const r = await patch(users[0].user.id, { role: 'user' }, root.access_token)
  t.equal(r.statusCode, 409, 'ann is the last stored admin: refused even for a superadmin')
  t.equal(r.json().code, 'AUTH_LAST_ADMIN')
})

t.test('delete removes the user and announces it', async (t) => {
  const { h, admin, users } = await setup(t)
  const cat = users[2]
  const del = await h.app.inject({ method: 'DELETE', url: `/api/admin/users/${cat.user.id}`, headers: asAdmin(h, admin.access_token) })
  t.equal(del.statusCode, 200)
  await h.flush()
  t.same(h.events.slice(-2).map((e) => e.channel).sort(), ['auth.revoked', 'auth.user.deleted'])
  t.match(h.events.find((e) => e.channel === 'auth.user.deleted'), { event: { user_id: cat.user.id } })
  t.equal((await h.login('cat@example.com')).statusCode, 401)
  t.equal((await h.app.inject({ method: 'POST', url: '/api/auth/refresh', cookies: { refresh_token: cat.refresh_token } })).statusCode, 401)
  t.equal((await h.app.inject({ method: 'DELETE', url: `/api/admin/users/${cat.user.id}`, headers: asAdmin(h, admin.access_token) })).statusCode, 404)
  t.equal((await h.register('cat@example.com')).statusCode, 201, 'the email is free again')
})

t.test('two admins deleting each other at once leave one admin', async (t) => {
  for (let run = 0; run < 5; run++) {
    const { h, admin, users } = await setup(t)
    await h.app.inject({ method: 'PATCH', url: `/api/admin/users/${users[0].user.id}`, headers: asAdmin(h, admin.access_token), payload: { role: 'admin' } })
    const ann = (await h.login('ann@example.com')).json()
    const root = (await h.login('root@example.com')).json()
    const [a, b] = await Promise.all([
      h.app.inject({ method: 'DELETE', url: `/api/admin/users/${ann.user.id}`, headers: asAdmin(h, root.access_token) }),
      h.app.inject({ method: 'DELETE', url: `/api/admin/users/${root.user.id}`, headers: asAdmin(h, ann.access_token) }),
    ])
    t.ok([a.statusCode, b.statusCode].filter((s) => s === 200).length <= 1, `run ${run}: at most one delete succeeds (${a.statusCode}, ${b.statusCode})`)
    const users2 = await h.store.collection<{ _id: string; role: string; disabled: boolean }>('users')
    t.ok(await users2.count({ role: 'admin', disabled: false }) >= 1, `run ${run}: an active admin remains`)
  }
})

t.test('a login right after a user-wide revocation gets tokens the gateway accepts', async (t) => {
  const { h, users } = await setup(t)
  const ann = users[0]
  await h.app.inject({ method: 'POST', url: '/api/auth/logout-all', headers: h.as(ann.access_token) })
  await h.flush()
  const nb = (h.events.at(-1)?.event as { not_before: number }).not_before
  const again = (await h.login('ann@example.com')).json()
  t.ok((claimsOf(again.access_token)['iat'] as number) >= nb, 'issued no earlier than the revocation it follows')
})

t.test('internal stats for the app, behind the assertion and an admin', async (t) => {
  const { h, admin, users } = await setup(t)
  await h.login('ann@example.com')
  await h.login('ann@example.com', 'wrong password!!')
  const stats = await h.app.inject({ url: '/internal/stats', headers: h.as(admin.access_token, ['app', 'auth']) })
  t.equal(stats.statusCode, 200)
  t.same(stats.json(), { total_users: 4, admins: 1, active_sessions: 5, logins_24h: 1, failed_logins_24h: 1 })
  t.equal((await h.app.inject({ url: '/internal/stats' })).statusCode, 401)
  t.equal((await h.app.inject({ url: '/internal/stats', headers: h.as(users[0].access_token) })).statusCode, 403)
  t.equal((await h.app.inject({ url: '/internal/stats', headers: h.as(admin.access_token, ['app']) })).statusCode, 401, 'audience must include auth')
})
