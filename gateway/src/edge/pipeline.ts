import fp from 'fastify-plugin'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { GatewayConfig } from '@claraverse/config'

import type { AssertionSigner, Identity, ServiceName } from '@claraverse/identity'
import { NotFound, PayloadTooLarge, RateLimited } from '@claraverse/errors'
import { DEFAULT_BODY_LIMIT } from '@claraverse/service-kit'
import { canonicalPath, matchRoute, type Access, type RouteRule } from '../routes/table.js'
import { tierKey, type Tier } from '../ratelimit/tiers.js'
import { ipSubject } from '../ratelimit/subject.js'
import type { Hit, TierLimiter } from '../ratelimit/limiter.js'
import type { RevocationCache } from './revocations.js'
import type { SocketRegistry } from './sockets.js'
import { TokenCache } from './token-cache.js'
import { DEV_ADMIN, devKeyMatches, presentedToken } from './tokens.js'
import { handshakeProblem } from './handshake.js'
import { AdminRequired, AuthRequired, BadHandshake, UpgradeRequired, BadPath, OriginForbidden, RateLimitUnavailable, TokenInvalid, TokenRevoked } from '../errors.js'

/** What a gateway-local route declares instead of a table entry; `false` skips the pipeline. */
export interface LocalRule {
  access: Access
  audience: ServiceName[]
}

declare module 'fastify' {
  interface FastifyContextConfig {
    edge?: LocalRule | false
  }
  interface FastifyRequest {
    /** Set by the pipeline for proxied and local routes. */
    edge?: EdgeContext
  }
}

export interface EdgeContext {
  rule: RouteRule | LocalRule | undefined
  identity: Identity | undefined
  /** The signed `x-identity` for the upstream; absent for anonymous requests. */
  assertion: string | undefined
}

export interface PipelineOptions {
  config: GatewayConfig
  limiter: TierLimiter
  revocations: RevocationCache
  sockets: SocketRegistry
  signer: AssertionSigner
  verifyJwt: (token: string) => Record<string, unknown>
}

// DESIGN §4: a client may not speak for the gateway, in any spelling.
const identityHeader = /^x[-_](identity|user[-_])/i

function stripIdentityHeaders(headers: Record<string, unknown>): void {
  for (const name of Object.keys(headers)) if (identityHeader.test(name)) delete headers[name]
}

const fromTable = (rule: RouteRule | LocalRule | undefined): rule is RouteRule => rule !== undefined && 'prefix' in rule

const isUpgrade = (request: FastifyRequest): boolean => (request.headers.upgrade ?? '').toLowerCase() === 'websocket'

/**
 * DESIGN §3, in order: identity headers stripped, WebSocket Origin checked, the token verified
 * (cached, no I/O) and checked against revocations, every rate-limit tier counted in one Redis
 * round trip, access enforced, and the identity assertion signed for the route's audience.
 * CORS has already run (it is registered first).
 */
export const edgePipeline = fp<PipelineOptions>(async (app, opts) => {
  const { config, limiter, revocations, sockets, signer, verifyJwt } = opts
  const allowedOrigins = new Set(config.allowedOrigins)
  const limits = config.rateLimits
  const tokens = new TokenCache()
  const bodyLimit = app.initialConfig.bodyLimit ?? DEFAULT_BODY_LIMIT

  const identify = (request: FastifyRequest, websocket: boolean): { identity: Identity; iat: number } | 'invalid' | 'revoked' | undefined => {
    const token = presentedToken(request, websocket)
    if (token === undefined) {
      if (!config.production && config.devApiKey !== undefined && devKeyMatches(request.headers['x-api-key'], config.devApiKey)) {
        return { identity: DEV_ADMIN, iat: Math.floor(Date.now() / 1000) }
      }
      return request.headers.authorization !== undefined ? 'invalid' : undefined
    }
    let verified = tokens.get(token)
    if (!verified) {
      let claims: Record<string, unknown>
      try {
        claims = verifyJwt(token)
      } catch {
        return 'invalid'
      }
      // A refresh token (typ "refresh") is signed with the same secret: refuse it here.
      const { sub, email, role, sid, iat, exp, typ } = claims
      if (typ !== 'access' || typeof sub !== 'string' || typeof sid !== 'string' || typeof iat !== 'number' ||
        typeof exp !== 'number' || (role !== 'user' && role !== 'admin') || typeof email !== 'string') return 'invalid'
      verified = { identity: { sub, email, role, sid }, iat, exp }
      tokens.set(token, verified)
    }
    if (revocations.isRevoked(verified.identity.sub, verified.identity.sid, verified.iat)) return 'revoked'
    return verified
  }

  const setRateHeaders = (reply: FastifyReply, limit: number, remaining: number, resetMs: number): void => {
    reply.header('ratelimit-limit', limit)
    reply.header('ratelimit-remaining', remaining)
    reply.header('ratelimit-reset', Math.ceil(resetMs / 1000))
  }

  app.addHook('onRequest', async (request, reply) => {
    stripIdentityHeaders(request.headers)
    // Bodies stream through unparsed; one declared over the limit is refused here, before an
    // upstream that refuses it mid-upload turns the broken pipe into a 502. The connection stays
    // open: Node discards the rest of the body, and closing with it unread would reset the
    // connection, which can destroy this answer before the client reads it.
    if (Number(request.headers['content-length']) > bodyLimit) throw new PayloadTooLarge()
    const local = request.routeOptions.config.edge
    if (local === false || request.routeOptions.config.probe) return
    const path = canonicalPath(request.url.split('?', 1)[0] ?? '/')
    if (path === undefined) throw new BadPath()
    const rule: RouteRule | LocalRule | undefined = local ?? matchRoute(path)
    const websocket = isUpgrade(request) && fromTable(rule) && rule.websocket === true
    if (websocket) {
      // CORS does not apply to upgrades: a page on another site could ride the user's token.
      const origin = request.headers.origin
      if (origin !== undefined && !allowedOrigins.has(origin)) throw new OriginForbidden()
    }
    const who = identify(request, websocket)
    const identity = typeof who === 'object' ? who.identity : undefined

    const ip = ipSubject(request.ip)
    const hits: Hit[] = []
    const add = (tier: Tier, subject: string): void => { hits.push({ key: tierKey(tier, subject), limit: limits[tier], tier }) }
    if (path.startsWith('/api/') || rule === undefined) add('global', ip)
    if (identity) add('authenticated', identity.sub)
    else if ((request.method === 'GET' || request.method === 'HEAD') && !websocket && rule?.access !== 'user' && rule?.access !== 'admin') add('publicRead', ip)
    if (fromTable(rule)) for (const t of rule.tiers ?? []) add(t, ip)
    const verdict = await limiter.check(hits)
    if (!verdict) throw new RateLimitUnavailable()
    if (hits.length > 0) setRateHeaders(reply, verdict.limit, verdict.remaining, verdict.resetMs)
    if (!verdict.allowed) {
      const retryAfter = Math.max(1, Math.ceil(verdict.resetMs / 1000))
      reply.header('retry-after', retryAfter)
      throw Object.assign(new RateLimited(), { extra: { retry_after: retryAfter } })
    }

    if (rule === undefined) return // a JSON 404 follows, counted above
    // A WebSocket route takes real upgrades only: anything else would reach the upstream as plain
    // HTTP, with the client's token still on it.
    if (fromTable(rule) && rule.websocket === true && !(websocket && (request.raw as { upgrade?: boolean }).upgrade === true)) throw new UpgradeRequired()
    // The upstream serves the socket at the rule's path only: anything below it would be accepted
    // here with a 101 and then closed (1011) when the upstream refuses it.
    if (websocket && path !== rule.prefix) throw new NotFound(`No route for ${request.method} ${path}`)
    if (rule.access === 'user' || rule.access === 'admin') {
      if (who === 'revoked') throw new TokenRevoked()
      if (who === 'invalid') throw new TokenInvalid()
      if (!identity) throw new AuthRequired()
      if (rule.access === 'admin' && identity.role !== 'admin' && !config.superadmins().has(identity.sub)) throw new AdminRequired()
    }
    if (websocket) {
      const problem = handshakeProblem(request.headers)
      if (problem !== undefined) throw new BadHandshake(problem)
    }
    const assertion = identity && rule.audience.length > 0 ? signer.sign(identity, rule.audience) : undefined
    request.edge = { rule, identity, assertion }
    if (websocket && identity && typeof who === 'object') sockets.expect(request.raw.socket, { sub: identity.sub, sid: identity.sid, iat: who.iat })
  })
}, { name: 'edge-pipeline' })

