import type { FastifyPluginAsync } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Message, TokenPair, User } from '../schemas/auth.js'
import { PasswordChange, SessionList, SessionParams } from '../schemas/account.js'
import { Type } from '@sinclair/typebox'
import { optionalBody } from '@claraverse/service-kit'
import { publicUser } from '../domain/users.js'
import { ACCOUNT_POLICY } from '../domain/throttle.js'
import { LoginThrottled, SessionNotFound, UserNotFound, WeakPassword, WrongPassword } from '../domain/errors.js'
import { clearRefreshCookie, startSession } from './issue.js'

const iso = (ms: number): string => new Date(ms).toISOString()
const NoBody = optionalBody(Type.Object({}, { additionalProperties: false }))

/** The signed-in user's own account; identity comes only from the gateway's assertion. */
export const accountRoutes: FastifyPluginAsync = async (instance) => {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>()
  const core = app.auth

  const currentUser = async (id: string) => {
    const user = await core.users.byId(id)
    if (!user) throw new UserNotFound()
    return user
  }

  app.get('/api/auth/me', { schema: { response: { 200: User } } }, async (request) => publicUser(await currentUser(request.identity.sub)))

  app.get('/api/auth/sessions', { schema: { response: { 200: SessionList } } }, async (request) => {
    const sessions = await core.sessions.listActive(request.identity.sub)
    return {
      sessions: sessions.map((s) => ({
        id: s._id, created_at: iso(s.created_at), last_used_at: iso(s.last_used_at), expires_at: iso(s.expires_at),
        user_agent: s.user_agent, ip: s.ip, current: s._id === request.identity.sid,
      })),
      total_count: sessions.length, page: 1, page_size: Math.max(sessions.length, 1),
    }
  })

  app.delete('/api/auth/sessions/:id', { schema: { params: SessionParams, response: { 200: Message } } }, async (request, reply) => {
    const { sub, sid } = request.identity
    if (!await core.sessions.revoke(request.params.id, 'revoked_by_user', Date.now(), sub)) throw new SessionNotFound()
    await core.revoker.session(request.params.id)
    await core.audit.write('session.revoked', { actor: sub, target: sub, ip: request.ip, details: { sid: request.params.id } })
    if (request.params.id === sid) clearRefreshCookie(request, reply)
    return { message: 'Session revoked' }
  })

  app.post('/api/auth/logout-all', { schema: { body: NoBody, response: { 200: Type.Composite([Message, Type.Object({ revoked_sessions: Type.Integer() })]) } } }, async (request, reply) => {
    const { sub } = request.identity
    const revoked = await core.sessions.revokeAll(sub, 'logout_all')
    await core.revokeUser(sub)
    await core.audit.write('logout_all', { actor: sub, target: sub, ip: request.ip, details: { sessions: revoked } })
    clearRefreshCookie(request, reply)
    return { message: 'Logged out everywhere', revoked_sessions: revoked }
  })

  app.post('/api/auth/password', { schema: { body: PasswordChange, response: { 200: Type.Composite([TokenPair, Message]) } } }, async (request, reply) => {
    const user = await currentUser(request.identity.sub)
    const key = `acct:${user.email}`
    const wait = await core.throttle.admit([{ key, policy: ACCOUNT_POLICY }])
    if (wait > 0) {
      reply.header('retry-after', String(wait))
      throw Object.assign(new LoginThrottled(), { extra: { retry_after: wait } })
    }
    if (!(await core.passwords.verify(user.password_hash, request.body.current_password)).ok) throw new WrongPassword()
    await core.throttle.succeed(key)
    const problem = core.passwords.problem(request.body.new_password)
    if (problem) throw new WeakPassword(problem)
    const updated = await core.users.update(user._id, { password_hash: await core.passwords.hash(request.body.new_password) }) ?? user
    // Every existing session ends; this device continues on a fresh one.
    await core.sessions.revokeAll(user._id, 'password_changed')
    const notBefore = await core.revokeUser(user._id)
    await core.audit.write('password.changed', { actor: user._id, target: user._id, ip: request.ip })
    return { ...await startSession(core, request, reply, { ...updated, revoked_before: notBefore }), message: 'Password changed' }
  })
}
