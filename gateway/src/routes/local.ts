import type { FastifyPluginAsync } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { TierLimiter } from '../ratelimit/limiter.js'
import { BadRateLimitKey } from '../errors.js'
import { clearableKey } from '../ratelimit/tiers.js'


export const localRoutes: FastifyPluginAsync<{ limiter: TierLimiter; jwks: unknown }> = async (instance, { limiter, jwks }) => {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>()
  app.get('/.well-known/jwks.json', { config: { edge: false } }, async (_request, reply) => {
    reply.header('cache-control', 'public, max-age=300')
    return jwks
  })
  // The security guide's `redis-cli DEL "ratelimit:user_abc123"`, as an admin API.
  app.delete('/api/admin/rate-limits/:key', {
    config: { edge: { access: 'admin', audience: [] } },
    schema: { params: Type.Object({ key: Type.String({ maxLength: 200 }) }) },
  }, async (request) => {
    const key = clearableKey(request.params.key)
    if (key === undefined) throw new BadRateLimitKey()
    const cleared = await limiter.clear(key)
    request.log.info({ key, by: request.edge?.identity?.sub }, 'rate limit cleared')
    return { message: cleared > 0 ? 'Rate limit cleared' : 'No active rate limit for this key', key, cleared }
  })
}
