import type { FastifyReply, FastifyRequest } from 'fastify'
import type { AuthCore } from '../plugins/core.js'
import type { UserDoc } from '../domain/users.js'

export const REFRESH_COOKIE = 'refresh_token'
const COOKIE_PATH = '/api/auth'

export interface IssuedPair {
  access_token: string
  refresh_token: string
  expires_in: number
}

/** The cookie the ClaraVerse web client refreshes with: HttpOnly, SameSite=Strict, Secure over https. */
export function setRefreshCookie(request: FastifyRequest, reply: FastifyReply, token: string, expiresAtMs: number): void {
  reply.setCookie(REFRESH_COOKIE, token, {
    httpOnly: true, sameSite: 'strict', path: COOKIE_PATH, secure: request.protocol === 'https',
    maxAge: Math.max(0, Math.floor((expiresAtMs - Date.now()) / 1000)),
  })
}

export function clearRefreshCookie(request: FastifyRequest, reply: FastifyReply): void {
  reply.clearCookie(REFRESH_COOKIE, { httpOnly: true, sameSite: 'strict', path: COOKIE_PATH, secure: request.protocol === 'https' })
}

export function clientMeta(request: FastifyRequest): { userAgent: string; ip: string } {
  const ua = request.headers['user-agent']
  return { userAgent: typeof ua === 'string' ? ua : '', ip: request.ip }
}

/** Tokens for a session (new or rotated), with the cookie set. */
export function issuePair(
  core: AuthCore, request: FastifyRequest, reply: FastifyReply,
  user: UserDoc, session: { _id: string; expires_at: number }, jti: string, issuedAtLeast = 0,
): IssuedPair {
  const floor = Math.max(issuedAtLeast, user.revoked_before ?? 0)
  const access = core.tokens.access({ id: user._id, email: user.email, role: user.role }, session._id, floor)
  const refresh = core.tokens.refresh(user._id, session._id, jti, session.expires_at, floor)
  setRefreshCookie(request, reply, refresh, session.expires_at)
  return { access_token: access, refresh_token: refresh, expires_in: core.tokens.accessTtl }
}

/** Logs a user in on a new session family. */
export async function startSession(core: AuthCore, request: FastifyRequest, reply: FastifyReply, user: UserDoc, issuedAtLeast = 0): Promise<IssuedPair> {
  const { session, jti } = await core.sessions.create(user._id, core.config.refreshTokenTtl, clientMeta(request))
  return issuePair(core, request, reply, user, session, jti, issuedAtLeast)
}
