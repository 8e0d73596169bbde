// Plain JavaScript on purpose: the gateway runs as in production, without a TypeScript loader.
// Child of the gateway benchmark: the upstream every path ends at (a small JSON answer).
import Fastify from 'fastify'

const app = Fastify({ logger: false })
const body = { chats: [{ id: 'chat_1', title: 'Hello', message_count: 3 }], total_count: 1, page: 1, page_size: 20 }
app.get('/api/chats', async () => body)
app.get('/api/public/ping', async () => body)
const url = await app.listen({ host: '127.0.0.1', port: 0 })
process.send?.({ url })
