import type { FastifyPluginAsync } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { KeysReply } from '../schemas/vault.js'
import { AdminRequired } from '../domain/errors.js'

/** Which key versions this vault holds, for operators rotating keys; never any key bytes. */
export const keyRoutes: FastifyPluginAsync = async (instance) => {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>()
  const keys = app.vault.keys

  app.get('/v1/keys', { schema: { response: { 200: KeysReply } } }, async (request) => {
    if (request.identity.role !== 'admin') throw new AdminRequired()
    return { primary_version: keys.primaryVersion, versions: keys.versions(), legacy_import: true as const, cache: keys.cacheStats() }
  })
}
