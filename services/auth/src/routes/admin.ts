import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Message } from '../schemas/auth.js'
import { AdminMe, AdminUser, AdminUserList, AuditList, AuditQuery, Stats, UserParams, UserPatch, UserQuery } from '../schemas/admin.js'
import { publicUser, type UserDoc } from '../domain/users.js'
import type { AuditType } from '../domain/audit.js'
import { AdminRequired, LastAdmin, ProtectedUser, UserNotFound } from '../domain/errors.js'
import type { AuthCore } from '../plugins/core.js'

const iso = (ms: number): string => new Date(ms).toISOString()

declare module 'fastify' {
  interface FastifyRequest {
    actor?: UserDoc
  }
}

/** The stored user behind the assertion must be an active admin or a superadmin (checked per request). */
export async function requireAdmin(core: AuthCore, request: FastifyRequest): Promise<UserDoc> {
  const user = await core.users.byId(request.identity.sub)
  const superadmin = core.config.superadmins().has(request.identity.sub)
  if (!user || user.disabled || (user.role !== 'admin' && !superadmin)) throw new AdminRequired()
  request.actor = user
  return user
}

export const adminRoutes: FastifyPluginAsync = async (instance) => {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>()
  const core = app.auth
  const superadmins = (): ReadonlySet<string> => core.config.superadmins()
  const adminView = (u: UserDoc) => ({ ...publicUser(u), disabled: u.disabled, is_superadmin: superadmins().has(u._id), updated_at: iso(u.updated_at) })
  const guard = { preHandler: async (request: FastifyRequest) => { await requireAdmin(core, request) } }
  const target = async (id: string): Promise<UserDoc> => {
    const user = await core.users.byId(id)
    if (!user) throw new UserNotFound()
    return user
  }

  app.get('/api/admin/me', { schema: { response: { 200: AdminMe } } }, async (request) => {
    const user = await core.users.byId(request.identity.sub)
    const isSuper = superadmins().has(request.identity.sub)
    return {
      is_admin: Boolean(user && !user.disabled && (user.role === 'admin' || isSuper)),
      is_superadmin: isSuper, user_id: request.identity.sub, email: user?.email ?? request.identity.email,
    }
  })

  app.get('/api/admin/users', { ...guard, schema: { querystring: UserQuery, response: { 200: AdminUserList } } }, async (request) => {
    const { page, page_size, search } = request.query
    const prefix = search?.trim().normalize('NFKC').toLowerCase()
    const { users, total } = await core.users.list(page, page_size, prefix || undefined)
    return { users: users.map(adminView), total_count: total, page, page_size }
  })

  app.get('/api/admin/users/:id', { ...guard, schema: { params: UserParams, response: { 200: AdminUser } } }, async (request) =>
    adminView(await target(request.params.id)))

  app.patch('/api/admin/users/:id', { ...guard, schema: { params: UserParams, body: UserPatch, response: { 200: AdminUser } } }, async (request) => {
    const actor = request.actor!
    const user = await target(request.params.id)
    const { role, disabled } = request.body
    const demoting = role === 'user' && user.role === 'admin'
    const disabling = disabled === true && !user.disabled
    if (superadmins().has(user._id) && (demoting || disabling || role === 'user' || disabled === true)) {
      throw new ProtectedUser('Superadmins cannot be demoted or disabled')
    }
    if (user._id === actor._id && (role === 'user' || disabled === true)) throw new ProtectedUser('You cannot demote or disable yourself')
    const losesAdmin = user.role === 'admin' && !user.disabled && (demoting || disabling)
    if (losesAdmin && (await core.users.countActiveAdmins()) <= 1) throw new LastAdmin()
    const updated = await core.users.update(user._id, { ...(role ? { role } : {}), ...(disabled !== undefined ? { disabled } : {}) })
    if (!updated) throw new UserNotFound()
    // No transactions: if two admins demoted each other at once, undo ours rather than leave none.
    if (losesAdmin && (await core.users.countActiveAdmins()) === 0) {
      await core.users.update(user._id, { role: user.role, disabled: user.disabled })
      throw new LastAdmin()
    }
    if ((role !== undefined && role !== user.role) || disabling) {
      await core.sessions.revokeAll(user._id, disabling ? 'disabled' : 'role_changed')
      await core.revokeUser(user._id)
    }
    await core.audit.write('admin.user_updated', {
      actor: actor._id, target: user._id, ip: request.ip,
      details: { role: updated.role, disabled: updated.disabled, previous_role: user.role, previously_disabled: user.disabled },
    })
    return adminView(updated)
  })

  app.delete('/api/admin/users/:id', { ...guard, schema: { params: UserParams, response: { 200: Message } } }, async (request) => {
    const actor = request.actor!
    const user = await target(request.params.id)
    if (superadmins().has(user._id)) throw new ProtectedUser('Superadmins cannot be deleted')
    if (user._id === actor._id) throw new ProtectedUser('You cannot delete your own account')
    if (user.role === 'admin' && !user.disabled) {
      // No transactions: take the admin out of the count first (disable), then check that one
      // remains, so two admins deleting each other at once cannot leave none.
      if ((await core.users.countActiveAdmins()) <= 1) throw new LastAdmin()
      await core.users.update(user._id, { disabled: true })
      if ((await core.users.countActiveAdmins()) === 0) {
        await core.users.update(user._id, { disabled: false })
        throw new LastAdmin()
      }
    }
    if (!await core.users.remove(user._id)) throw new UserNotFound()
    await core.sessions.deleteAll(user._id)
    await core.revokeUser(user._id)
    await core.bus.publish('auth.user.deleted', { user_id: user._id }).catch((err: unknown) => {
      request.log.error({ err }, 'auth.user.deleted not delivered; the app keeps this user\'s data until it is')
    })
    await core.audit.write('admin.user_deleted', { actor: actor._id, target: user._id, ip: request.ip, details: { email: user.email } })
    return { message: 'User deleted' }
  })

  app.get('/api/admin/audit', { ...guard, schema: { querystring: AuditQuery, response: { 200: AuditList } } }, async (request) => {
    const { page, page_size, type, user_id } = request.query
    const { events, total } = await core.audit.list(page, page_size, { type: type as AuditType | undefined, user_id })
    return {
      events: events.map((e) => ({ id: e._id, at: iso(e.at), type: e.type, actor_id: e.actor_id, target_id: e.target_id, ip: e.ip, details: e.details })),
      total_count: total, page, page_size,
    }
  })

  // For the app's admin analytics; called with the admin's own (delegated) assertion.
  app.get('/internal/stats', { ...guard, schema: { response: { 200: Stats } } }, async () => {
    const since = Date.now() - 24 * 3600 * 1000
    const [total_users, admins, active_sessions, logins_24h, failed_logins_24h] = await Promise.all([
      core.users.count(), core.users.countAdmins(), core.sessions.countActive(),
      core.audit.countSince('login.succeeded', since), core.audit.countSince('login.failed', since),
    ])
    return { total_users, admins, active_sessions, logins_24h, failed_logins_24h }
  })
}

