// Child of the vault benchmark: the baselines. Bare Fastify answering the vault's routes with the
// same shapes and sizes, without identity, schemas or logging. Plain, it shows what HTTP and JSON
// alone cost; with `crypto`, it also runs the vault's AES-GCM per item: the ceiling for any
// Node service that encrypts each request, whatever its framework does.
import Fastify from 'fastify'
import { randomBytes } from 'node:crypto'
import { Vault } from '@claraverse/vault'

const crypto = process.argv[2] === 'crypto'
const vault = Vault.fromConfig({ keyVersion: 1, masterKey: randomBytes(32), previousKeys: new Map(), keyCacheSize: 100 })
const seal = (text) => (crypto ? vault.encrypt('user_bench', Buffer.from(text), 'bench') : text)
const open = (blob) => (crypto ? vault.decrypt('user_bench', blob, 'bench').plaintext.toString() : blob)

const app = Fastify({ logger: false, bodyLimit: 4 * 1024 * 1024 })
app.post('/v1/encrypt', async (request) => ({ items: request.body.items.map((i) => ({ ciphertext: seal(i.plaintext) })) }))
app.post('/v1/decrypt', async (request) => ({ items: request.body.items.map((i) => ({ plaintext: open(i.ciphertext) })) }))
const url = await app.listen({ host: '127.0.0.1', port: 0 })
process.send?.({ url })
process.on('SIGINT', () => { void app.close().then(() => process.exit(0)) })
