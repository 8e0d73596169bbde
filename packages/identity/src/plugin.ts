import fp from 'fastify-plugin'
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import { IDENTITY_HEADER, type VerifiedIdentity } from './claims.js'
import { IdentityRequired } from './errors.js'
import type { AssertionVerifier } from './verifier.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The gateway-asserted caller. Reading it on a route with `config.identity: false` throws 401. */
    readonly identity: VerifiedIdentity
    /** The raw assertion, forwarded as-is on calls made on the caller's behalf (delegation). */
    readonly identityAssertion: string
    /** On `identity: 'optional'` routes: the caller if the gateway vouched for one. */
    readonly optionalIdentity: VerifiedIdentity | undefined
  }
  interface FastifyContextConfig {
    /**
     * `false` exempts a route (health, readiness, public auth routes) from the assertion;
     * `'optional'` verifies one when present (an invalid one is still refused).
     */
    identity?: false | 'optional'
  }
}

export interface IdentityPluginOptions {
  verifier: AssertionVerifier
}

const kIdentity = Symbol('identity')
const kAssertion = Symbol('identityAssertion')
type Holder = FastifyRequest & { [kIdentity]?: VerifiedIdentity; [kAssertion]?: string }

/** Requires a valid `x-identity` assertion on every route that does not opt out. */
const identityPlugin: FastifyPluginAsync<IdentityPluginOptions> = async (app, opts) => {
  app.decorateRequest(kIdentity, undefined)
  app.decorateRequest(kAssertion, undefined)
  app.decorateRequest('identity', {
    getter(this: Holder) {
      const v = this[kIdentity]
      if (v === undefined) throw new IdentityRequired()
      return v
    },
  })
  app.decorateRequest('identityAssertion', {
    getter(this: Holder) {
      const v = this[kAssertion]
      if (v === undefined) throw new IdentityRequired()
      return v
    },
  })
  app.decorateRequest('optionalIdentity', {
    getter(this: Holder) {
      return this[kIdentity]
    },
  })
  app.addHook('onRequest', async (request) => {
    const mode = request.routeOptions.config.identity
    // Unknown routes answer 404 (DESIGN §12); there is nothing behind them to protect.
    if (mode === false || request.is404) return
    const raw = request.headers[IDENTITY_HEADER]
    if ((typeof raw !== 'string' || raw.length === 0) && mode === 'optional') return
    if (typeof raw !== 'string' || raw.length === 0) throw new IdentityRequired()
    const holder = request as Holder
    holder[kIdentity] = await opts.verifier.verify(raw)
    holder[kAssertion] = raw
  })
}

export const requireIdentity = fp(identityPlugin, { name: '@claraverse/identity', fastify: '5.x' })
