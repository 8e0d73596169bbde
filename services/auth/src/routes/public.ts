import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { AuthResult, Credentials, Message, RefreshBody, Status, TokenPair } from '../schemas/auth.js'
import { canonicalEmail } from '../domain/emails.js'
import { ACCOUNT_POLICY, IP_POLICY, type ThrottleKey } from '../domain/throttle.js'
import {
  InvalidCredentials, InvalidEmail, InvalidRefreshToken, LoginThrottled, WeakPassword,
} from '../domain/errors.js'
import { publicUser } from '../domain/users.js'
import { REFRESH_COOKIE, clearRefreshCookie, issuePair, startSession } from './issue.js'

// Public routes: the gateway forwards them without an identity assertion.
const open = { identity: false } as const

function presentedRefresh(request: FastifyRequest, body: { refresh_token?: string | undefined } | null | undefined): string | undefined {
  const cookie = request.cookies[REFRESH_COOKIE]
  return body?.refresh_token ?? (cookie !== undefined && cookie !== '' ? cookie : undefined)
}

export const publicRoutes: FastifyPluginAsync = async (instance) => {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>()
  const core = app.auth

  app.get('/api/auth/status', { config: open, schema: { response: { 200: Status } } }, async () => ({
    has_users: (await core.users.count()) > 0,
  }))

  app.post('/api/auth/register', { config: open, schema: { body: Credentials, response: { 201: AuthResult } } }, async (request, reply) => {
    const email = canonicalEmail(request.body.email)
    if (!email) throw new InvalidEmail()
    const problem = core.passwords.problem(request.body.password)
    if (problem) throw new WeakPassword(problem)
    const user = await core.users.create(email, await core.passwords.hash(request.body.password))
    await core.audit.write('user.registered', { actor: user._id, target: user._id, ip: request.ip, details: { role: user.role } })
    const pair = await startSession(core, request, reply, user)
    return reply.code(201).send({ ...pair, user: publicUser(user) })
  })

  app.post('/api/auth/login', { config: open, schema: { body: Credentials, response: { 200: AuthResult } } }, async (request, reply) => {
    const email = canonicalEmail(request.body.email)
    const ipKey = `ip:${request.ip}`
    const accountKey = email ? `acct:${email}` : undefined
    const keys: ThrottleKey[] = [{ key: ipKey, policy: IP_POLICY }]
    if (accountKey) keys.push({ key: accountKey, policy: ACCOUNT_POLICY })
    const wait = await core.throttle.admit(keys)
    if (wait > 0) {
      core.loginFailures.inc({ reason: 'throttled' })
      reply.header('retry-after', String(wait))
      throw Object.assign(new LoginThrottled(), { extra: { retry_after: wait } })
    }
    const user = email ? await core.users.byEmail(email) : null
    const verdict = user ? await core.passwords.verify(user.password_hash, request.body.password) : undefined
    // A disabled account answers like a wrong password: the right one must not be confirmed.
    if (!user || !verdict?.ok || user.disabled) {
      if (!user) await core.passwords.verifyDummy(request.body.password) // same cost as a real verify
      const reason = !user ? 'unknown_email' : !verdict?.ok ? 'wrong_password' : 'account_disabled'
      core.loginFailures.inc({ reason })
      await core.audit.write('login.failed', { target: user?._id ?? null, ip: request.ip, details: { reason } })
      throw new InvalidCredentials()
    }
    await core.throttle.succeed(accountKey, ipKey)
    const set: { last_login_at: number; password_hash?: string } = { last_login_at: Date.now() }
    if (verdict.rehash) set.password_hash = await core.passwords.hash(request.body.password)
    const updated = await core.users.update(user._id, set) ?? user
    await core.audit.write('login.succeeded', { actor: user._id, target: user._id, ip: request.ip, details: { rehashed: verdict.rehash } })
    return { ...await startSession(core, request, reply, updated), user: publicUser(updated) }
  })

  app.post('/api/auth/refresh', { config: open, schema: { body: RefreshBody, response: { 200: TokenPair } } }, async (request, reply) => {
    const token = presentedRefresh(request, request.body)
    const claims = token ? core.tokens.verifyRefresh(token) : undefined
    const refuse = (): never => {
      clearRefreshCookie(request, reply)
      throw new InvalidRefreshToken()
    }
    if (!claims) return refuse()
    const user = await core.users.byId(claims.sub)
    if (!user || user.disabled) return refuse()
    const result = await core.sessions.rotate(claims.sid, claims.sub, claims.jti)
    if (result.kind === 'reuse') {
      core.reuseDetected.inc()
      await core.revoker.session(claims.sid)
      await core.audit.write('refresh_token.reuse_detected', { target: user._id, ip: request.ip, details: { sid: claims.sid } })
      request.log.warn({ sid: claims.sid }, 'refresh token reuse: session family revoked')
    }
    if (result.kind === 'reuse' || result.kind === 'invalid') return refuse()
    return issuePair(core, request, reply, user, result.session, result.jti)
  })

  // The session to end: the refresh token (cookie or body), else the caller the gateway vouched
  // for (it validated the bearer token and forwards an assertion instead), else a bearer token
  // sent to this service directly.
  app.post('/api/auth/logout', { config: { identity: 'optional' }, schema: { body: RefreshBody, response: { 200: Message } } }, async (request, reply) => {
    const refresh = presentedRefresh(request, request.body)
    const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1]
    const asserted = request.optionalIdentity
    const claims = (refresh ? core.tokens.verifyRefresh(refresh) : undefined) ??
      (asserted ? { sid: asserted.sid, sub: asserted.sub } : undefined) ?? (bearer ? core.tokens.verifyAccess(bearer) : undefined)
    if (claims && await core.sessions.revoke(claims.sid, 'logout', Date.now(), claims.sub)) {
      await core.revoker.session(claims.sid)
      await core.audit.write('logout', { actor: claims.sub, target: claims.sub, ip: request.ip, details: { sid: claims.sid } })
    }
    clearRefreshCookie(request, reply)
    return { message: 'Logged out' }
  })
}
