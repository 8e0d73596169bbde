import type { FastifyPluginAsync } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type, type TObject } from '@sinclair/typebox'
import { Deleted, IdParams, ListOf, PageQuery, iso } from '../schemas/common.js'
import { newId, type Owned, type OwnedDoc } from '../domain/owned.js'
import { NotFoundHere } from '../domain/errors.js'

type Record_ = OwnedDoc & Record<string, unknown>

export interface CrudSpec {
  path: string
  plural: string
  noun: string
  idPrefix: string
  /** What a client may set; every field of a create, any of them on a patch. */
  fields: TObject
  records: Owned<Record_>
}

/**
 * Per-user create/list/get/patch/delete for plain records (agents, workflows). Ownership is in
 * every query; unknown fields are refused; responses go through the schema, so nothing
 * stored but not declared ever leaves.
 */
export function crudRoutes(spec: CrudSpec): FastifyPluginAsync {
  const View = Type.Composite([Type.Object({ id: Type.String(), created_at: Type.String(), updated_at: Type.String() }), spec.fields])
  const Patch = Type.Partial(spec.fields, { additionalProperties: false, minProperties: 1 })
  const view = (r: Record_) => {
    const { _id, user_id: _owner, created_at, updated_at, ...rest } = r
    return { ...rest, id: _id, created_at: iso(created_at), updated_at: iso(updated_at) }
  }
  const missing = () => new NotFoundHere(spec.noun)

  return async (instance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>()
    app.get(spec.path, { schema: { querystring: PageQuery, response: { 200: ListOf(spec.plural, View) } } }, async (request) => {
      const { page, page_size } = request.query
      const { items, total } = await spec.records.list(request.identity.sub, page, page_size)
      return { [spec.plural]: items.map(view), total_count: total, page, page_size } as never
    })
    app.post(spec.path, { schema: { body: spec.fields, response: { 201: View } } }, async (request, reply) => {
      const now = Date.now()
      const doc: Record_ = { ...(request.body as object), _id: newId(spec.idPrefix), user_id: request.identity.sub, created_at: now, updated_at: now }
      await spec.records.insert(doc)
      return reply.code(201).send(view(doc))
    })
    app.get(`${spec.path}/:id`, { schema: { params: IdParams, response: { 200: View } } }, async (request) => {
      const r = await spec.records.get(request.identity.sub, request.params.id)
      if (!r) throw missing()
      return view(r)
    })
    app.patch(`${spec.path}/:id`, { schema: { params: IdParams, body: Patch, response: { 200: View } } }, async (request) => {
      const r = await spec.records.update(request.identity.sub, request.params.id, request.body as Partial<Record_>)
      if (!r) throw missing()
      return view(r)
    })
    app.delete(`${spec.path}/:id`, { schema: { params: IdParams, response: { 200: Deleted } } }, async (request) => {
      if (!await spec.records.remove(request.identity.sub, request.params.id)) throw missing()
      return { message: `${spec.noun} deleted` }
    })
  }
}
