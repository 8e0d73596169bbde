import type { FastifyPluginAsync } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { CiphertextList, DecryptBody, EncryptBody, PlaintextList, RewrapBody } from '../schemas/vault.js'
import { plaintextBytes, plaintextText } from '../domain/encoding.js'
import { eachItem, refuseInvalidBatch } from './batch.js'
import { Counter } from 'prom-client'

/** Encrypt, decrypt and rewrap, always for the user the gateway vouched for and nobody else. */
export const cryptoRoutes: FastifyPluginAsync = async (instance) => {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>()
  const vault = app.vault
  const batch = { attachValidation: true, preHandler: refuseInvalidBatch }
  const items = new Counter({
    name: 'vault_items_total', help: 'Items encrypted, decrypted or rewrapped; a failed batch counts its items as failed',
    labelNames: ['op', 'outcome'], registers: [app.metrics.registry],
  })
  app.addHook('onResponse', async (request, reply) => {
    const op = request.routeOptions.url?.slice('/v1/'.length)
    if (op !== 'encrypt' && op !== 'decrypt' && op !== 'rewrap') return
    const list = (request.body as { items?: unknown } | undefined)?.items
    const n = Array.isArray(list) ? list.length : 0
    if (n > 0) items.inc({ op, outcome: reply.statusCode < 400 ? 'ok' : 'failed' }, n)
  })

  app.post('/v1/encrypt', { ...batch, schema: { body: EncryptBody, response: { 200: CiphertextList } } }, async (request) => {
    const user = request.identity.sub
    return {
      items: eachItem(request.body.items, (it) => ({ ciphertext: vault.encrypt(user, plaintextBytes(it.plaintext, it.encoding), it.context ?? '') })),
    }
  })

  app.post('/v1/decrypt', { ...batch, schema: { body: DecryptBody, response: { 200: PlaintextList } } }, async (request) => {
    const user = request.identity.sub
    return {
      items: eachItem(request.body.items, (it) => {
        const { plaintext, rewrapped } = vault.decrypt(user, it.ciphertext, it.context ?? '')
        const text = plaintextText(plaintext, it.encoding)
        return rewrapped === undefined ? { plaintext: text } : { plaintext: text, rewrapped }
      }),
    }
  })

  // Key rotation without the caller ever seeing plaintext.
  app.post('/v1/rewrap', { ...batch, schema: { body: RewrapBody, response: { 200: CiphertextList } } }, async (request) => {
    const user = request.identity.sub
    return { items: eachItem(request.body.items, (it) => ({ ciphertext: vault.rewrap(user, it.ciphertext, it.context ?? '') })) }
  })
}
