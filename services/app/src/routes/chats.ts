import type { FastifyPluginAsync } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { DuplicateKeyError } from '@claraverse/store'
import { Deleted, IdParams, ListOf, PageQuery, iso } from '../schemas/common.js'
import type { Owned, OwnedDoc } from '../domain/owned.js'
import type { VaultClient } from '../clients/vault.js'
import { callerOf } from '../clients/caller.js'
import { NestedTooDeep, NotFoundHere } from '../domain/errors.js'
import { nestedDeeperThan } from '../domain/depth.js'

export interface ChatDoc extends OwnedDoc {
  chat_id: string
  /** Vault ciphertexts: the whole chat (context `chat:<id>`) and its title alone (`chat:<id>:title`). */
  body: string
  title: string
  message_count: number
}

const Message = Type.Object({
  role: Type.String({ minLength: 1, maxLength: 32 }),
  content: Type.String({ maxLength: 500_000 }),
}, { additionalProperties: true })

const ChatBody = Type.Object({
  title: Type.String({ maxLength: 500 }),
  messages: Type.Array(Message, { maxItems: 10_000 }),
}, { additionalProperties: false })
// Messages may carry fields of the client's own (additionalProperties above), but not nested
// so deep that serialising them (on PUT and on every GET) would overflow the stack.
const MAX_CHAT_DEPTH = 32

const Summary = Type.Object({ id: Type.String(), title: Type.String(), message_count: Type.Integer(), created_at: Type.String(), updated_at: Type.String() })
const Full = Type.Composite([Summary, Type.Object({ messages: Type.Array(Message) })])

// Chat ids come from the client, so two users may pick the same one: the key includes the owner.
const key = (userId: string, chatId: string): string => `${userId}:${chatId}`
const bodyContext = (chatId: string): string => `chat:${chatId}`
const titleContext = (chatId: string): string => `chat:${chatId}:title`

/** Synced chats, stored only as vault ciphertexts bound to their record. */
export function chatRoutes(chats: Owned<ChatDoc>, vault: VaultClient): FastifyPluginAsync {
  return async (instance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>()

    app.get('/api/chats', { schema: { querystring: PageQuery, response: { 200: ListOf('chats', Summary) } } }, async (request) => {
      const { page, page_size } = request.query
      const { items, total } = await chats.list(request.identity.sub, page, page_size)
      const titles = await vault.decrypt(callerOf(request), items.map((c) => ({ ciphertext: c.title, context: titleContext(c.chat_id) })))
      // After a key rotation, what was read under an old key is stored again under the new one.
      await Promise.all(items.map((c, i) => {
        const rewrapped = titles[i]?.rewrapped
        return rewrapped ? chats.col.updateOne({ _id: c._id, title: c.title }, { $set: { title: rewrapped } }) : undefined
      }))
      return {
        chats: items.map((c, i) => ({ id: c.chat_id, title: titles[i]?.plaintext ?? '', message_count: c.message_count, created_at: iso(c.created_at), updated_at: iso(c.updated_at) })),
        total_count: total, page, page_size,
      }
    })

    app.get('/api/chats/:id', { schema: { params: IdParams, response: { 200: Full } } }, async (request) => {
      const c = await chats.get(request.identity.sub, key(request.identity.sub, request.params.id))
      if (!c) throw new NotFoundHere('Chat')
      const [body] = await vault.decrypt(callerOf(request), [{ ciphertext: c.body, context: bodyContext(c.chat_id) }])
      if (body?.rewrapped) await chats.col.updateOne({ _id: c._id, body: c.body }, { $set: { body: body.rewrapped } })
      const chat = JSON.parse(body?.plaintext ?? '{}') as { title: string; messages: Array<{ role: string; content: string }> }
      return { id: c.chat_id, title: chat.title, messages: chat.messages, message_count: c.message_count, created_at: iso(c.created_at), updated_at: iso(c.updated_at) }
    })

    app.put('/api/chats/:id', { schema: { params: IdParams, body: ChatBody, response: { 200: Summary } } }, async (request) => {
      const { sub } = request.identity
      const chatId = request.params.id
      if (nestedDeeperThan(request.body, MAX_CHAT_DEPTH)) throw new NestedTooDeep(`Chat nests objects or arrays more than ${MAX_CHAT_DEPTH} levels deep`)
      const [body, title] = await vault.encrypt(callerOf(request), [
        { plaintext: JSON.stringify(request.body), context: bodyContext(chatId) },
        { plaintext: request.body.title, context: titleContext(chatId) },
      ])
      const now = Date.now()
      const fields = { body: body ?? '', title: title ?? '', message_count: request.body.messages.length }
      let saved = await chats.update(sub, key(sub, chatId), fields)
      if (!saved) {
        const doc: ChatDoc = { _id: key(sub, chatId), chat_id: chatId, user_id: sub, created_at: now, updated_at: now, ...fields }
        try {
          await chats.insert(doc)
          saved = doc
        } catch (err) {
          if (!(err instanceof DuplicateKeyError)) throw err
          saved = await chats.update(sub, key(sub, chatId), fields) // a concurrent PUT created it first
          if (!saved) throw err
        }
      }
      return { id: chatId, title: request.body.title, message_count: saved.message_count, created_at: iso(saved.created_at), updated_at: iso(saved.updated_at) }
    })

    app.delete('/api/chats/:id', { schema: { params: IdParams, response: { 200: Deleted } } }, async (request) => {
      if (!await chats.remove(request.identity.sub, key(request.identity.sub, request.params.id))) throw new NotFoundHere('Chat')
      return { message: 'Chat deleted' }
    })
  }
}
