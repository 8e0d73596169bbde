import type { FastifyPluginAsync } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { CiphertextList, DecryptBody, EncryptBody, PlaintextList, RewrapBody } from '../schemas/vault.js'
import { plaintextBytes, plaintextText } from '../domain/encoding.js'
import { eachItem, refuseInvalidBatch } from './batch.js'

/** Encrypt, decrypt and rewrap, always for the user the gateway vouched for and nobody else. */
export const cryptoRoutes: FastifyPluginAsync = async (instance) => {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>()
  const vault = app.vault
  const batch = { attachValidation: true, preHandler: refuseInvalidBatch }

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
