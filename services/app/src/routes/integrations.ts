import type { FastifyPluginAsync } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { Deleted, IdParams, ListOf, PageQuery, iso } from '../schemas/common.js'
import { newId, type Owned, type OwnedDoc } from '../domain/owned.js'
import type { VaultClient } from '../clients/vault.js'
import { callerOf } from '../clients/caller.js'
import { NotFoundHere } from '../domain/errors.js'

export interface IntegrationDoc extends OwnedDoc {
  provider: string
  name: string
  /** Vault ciphertext of the credentials object, context `integration:<id>`. */
  credentials: string
  /** What a client may see of each value, computed when it was written. */
  masks: Record<string, string>
}

// A TypeBox Record is only `patternProperties`: without `additionalProperties: false`, a key
// outside the pattern would pass with any value at all (an object nested deep enough to overflow
// the stack when it is serialised). The key's length bound lives in the pattern for the same reason.
const Credentials = Type.Record(Type.String({ pattern: '^[A-Za-z0-9_.-]{1,100}$' }), Type.String({ minLength: 1, maxLength: 10_000 }), { maxProperties: 50, additionalProperties: false })
const Create = Type.Object({
  provider: Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9_.-]+$' }),
  name: Type.String({ minLength: 1, maxLength: 200 }),
  credentials: Credentials,
}, { additionalProperties: false })
const Patch = Type.Object({ name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })), credentials: Type.Optional(Credentials) }, { additionalProperties: false, minProperties: 1 })
const View = Type.Object({
  id: Type.String(), provider: Type.String(), name: Type.String(),
  credentials: Type.Record(Type.String(), Type.String()), created_at: Type.String(), updated_at: Type.String(),
})

/** `••••abcd`: enough to tell two keys apart, never enough to use one. Short values show nothing. */
export function mask(value: string): string {
  return value.length >= 12 ? `••••${value.slice(-4)}` : '••••'
}

const masksOf = (c: Record<string, string>): Record<string, string> => Object.fromEntries(Object.entries(c).map(([k, v]) => [k, mask(v)]))
const context = (id: string): string => `integration:${id}`
const view = (d: IntegrationDoc) => ({ id: d._id, provider: d.provider, name: d.name, credentials: d.masks, created_at: iso(d.created_at), updated_at: iso(d.updated_at) })

/** Integration credentials: encrypted by the vault for their owner, returned only masked. */
export function integrationRoutes(records: Owned<IntegrationDoc>, vault: VaultClient): FastifyPluginAsync {
  return async (instance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>()
    app.get('/api/integrations', { schema: { querystring: PageQuery, response: { 200: ListOf('integrations', View) } } }, async (request) => {
      const { page, page_size } = request.query
      const { items, total } = await records.list(request.identity.sub, page, page_size)
      return { integrations: items.map(view), total_count: total, page, page_size }
    })
    app.post('/api/integrations', { schema: { body: Create, response: { 201: View } } }, async (request, reply) => {
      const id = newId('int')
      const [sealed] = await vault.encrypt(callerOf(request), [{ plaintext: JSON.stringify(request.body.credentials), context: context(id) }])
      const now = Date.now()
      const doc: IntegrationDoc = {
        _id: id, user_id: request.identity.sub, provider: request.body.provider, name: request.body.name,
        credentials: sealed ?? '', masks: masksOf(request.body.credentials), created_at: now, updated_at: now,
      }
      await records.insert(doc)
      return reply.code(201).send(view(doc))
    })
    app.get('/api/integrations/:id', { schema: { params: IdParams, response: { 200: View } } }, async (request) => {
      const d = await records.get(request.identity.sub, request.params.id)
      if (!d) throw new NotFoundHere('Integration')
      return view(d)
    })
    app.patch('/api/integrations/:id', { schema: { params: IdParams, body: Patch, response: { 200: View } } }, async (request) => {
      const { sub } = request.identity
      if (!await records.get(sub, request.params.id)) throw new NotFoundHere('Integration')
      const set: Partial<IntegrationDoc> = {}
      if (request.body.name !== undefined) set.name = request.body.name
      if (request.body.credentials !== undefined) {
        const [sealed] = await vault.encrypt(callerOf(request), [{ plaintext: JSON.stringify(request.body.credentials), context: context(request.params.id) }])
        set.credentials = sealed ?? ''
        set.masks = masksOf(request.body.credentials)
      }
      const d = await records.update(sub, request.params.id, set)
      if (!d) throw new NotFoundHere('Integration')
      return view(d)
    })
    app.delete('/api/integrations/:id', { schema: { params: IdParams, response: { 200: Deleted } } }, async (request) => {
      if (!await records.remove(request.identity.sub, request.params.id)) throw new NotFoundHere('Integration')
      return { message: 'Integration deleted' }
    })
  }
}
