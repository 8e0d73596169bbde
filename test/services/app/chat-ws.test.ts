import t from 'tap'
import WebSocket from 'ws'
import { once } from 'node:events'
import Fastify from 'fastify'
import { appHarness } from './harness.js'
import { createLogger } from '@claraverse/logging'
import { logCapture } from '../../helpers/log-capture.js'

const alice = { sub: 'user_alice' }

/** Opens a socket to the app the way the gateway does: with an identity assertion. */
async function connect(url: string, headers: Record<string, string>): Promise<{ ws: WebSocket; next: (pred?: (m: Record<string, unknown>) => boolean) => Promise<Record<string, unknown>> }> {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/ws/chat`, ['claraverse.v1'], { headers })
  const queue: Array<Record<string, unknown>> = []
  let wake: (() => void) | undefined
  ws.on('message', (d: Buffer) => { queue.push(JSON.parse(d.toString())); wake?.() })
  await once(ws, 'open')
  const next = async (pred: (m: Record<string, unknown>) => boolean = () => true): Promise<Record<string, unknown>> => {
    for (;;) {
      const i = queue.findIndex(pred)
      if (i >= 0) return queue.splice(i, 1)[0]!
      await Promise.race([new Promise<void>((r) => { wake = r }), new Promise((_, rej) => setTimeout(() => rej(new Error('no message')), 5000))])
    }
  }
  return { ws, next }
}

async function collectReply(next: Awaited<ReturnType<typeof connect>>['next'], conversation: string): Promise<string> {
  let text = ''
  for (;;) {
    const m = await next((x) => x['conversation_id'] === conversation)
    if (m['type'] === 'stream_end') return text
    if (m['type'] === 'error') throw new Error(String(m['message']))
    text += String(m['content'])
  }
}

t.test('the /ws/chat protocol with the echo provider', async (t) => {
  const h = await appHarness(t)
  const url = await h.app.listen({ host: '127.0.0.1', port: 0 })
  const { ws, next } = await connect(url, h.as(alice))
  t.equal(ws.protocol, 'claraverse.v1')
  t.same(await next(), { type: 'connected' })
  ws.send(JSON.stringify({ type: 'ping' }))
  t.same(await next(), { type: 'pong' })
  ws.send(JSON.stringify({ type: 'chat_message', conversation_id: 'c1', content: 'hello there', model_id: 'x', attachments: [], history: [{ role: 'user', content: 'earlier' }], extra_field: true }))
  t.equal(await collectReply(next, 'c1'), 'Echo: hello there', 'streamed in chunks, then stream_end')

  const bad: Array<[string, string]> = [
    ['not json', 'INVALID_JSON'],
    [JSON.stringify({ type: 'launch_missiles' }), 'UNKNOWN_TYPE'],
    [JSON.stringify({ type: 'chat_message', conversation_id: 'c2' }), 'INVALID_MESSAGE'],
    [JSON.stringify({ type: 'chat_message', conversation_id: 'c2', content: 5 }), 'INVALID_MESSAGE'],
    [JSON.stringify([1, 2]), 'UNKNOWN_TYPE'],
    [JSON.stringify({ type: 'chat_message', conversation_id: 'c2', content: 'x', history: [{ role: 'root', content: 'x' }] }), 'INVALID_MESSAGE'],
  ]
  for (const [frame, code] of bad) {
    ws.send(frame)
    t.match(await next((m) => m['type'] === 'error'), { type: 'error', code, message: String }, code)
  }
  ws.send(JSON.stringify({ type: 'ping' }))
  t.same(await next(), { type: 'pong' }, 'the socket survives bad frames')
  t.match(await h.app.metrics.registry.metrics(), /app_websockets_open\{service="app"\} 1/)
  ws.close()
})

t.test('per-socket limits: message rate and frame size; one bad socket does not affect others', async (t) => {
  const h = await appHarness(t)
  const url = await h.app.listen({ host: '127.0.0.1', port: 0 })
  const flood = await connect(url, h.as(alice))
  const calm = await connect(url, h.as({ sub: 'user_bob' }))
  await flood.next()
  await calm.next()
  for (let i = 0; i < 25; i++) flood.ws.send(JSON.stringify({ type: 'ping' }))
  t.match(await flood.next((m) => m['type'] === 'error'), { code: 'RATE_LIMITED' })
  const [code] = await Promise.all([
    once(flood.ws, 'close').then(([c]) => c as number),
    (async () => { for (let i = 0; i < 40; i++) flood.ws.send(JSON.stringify({ type: 'ping' })) })(),
  ])
  t.equal(code, 1008, 'a socket that keeps flooding is closed (policy violation)')
  calm.ws.send(JSON.stringify({ type: 'ping' }))
  t.same(await calm.next(), { type: 'pong' }, 'other users are unaffected')

  const big = await connect(url, h.as({ sub: 'user_carl' }))
  await big.next()
  big.ws.send('x'.repeat(300 * 1024))
  const [bigCode] = await once(big.ws, 'close') as [number]
  t.equal(bigCode, 1009, 'an oversized frame closes that socket (message too big)')
})

t.test('a protocol error is the client\'s: the socket closes with its code and nothing is logged as an error', async (t) => {
  const cap = logCapture()
  const h = await appHarness(t, {}, createLogger({ name: 'app', level: 'info', destination: cap.stream }))
  const url = await h.app.listen({ host: '127.0.0.1', port: 0 })
  const big = await connect(url, h.as(alice))
  await big.next()
  big.ws.send('x'.repeat(300 * 1024))
  const [code] = await once(big.ws, 'close') as [number]
  t.equal(code, 1009)
  await new Promise((r) => setTimeout(r, 50))
  t.same(cap.lines().filter((l) => Number(l['level']) >= 50), [], 'no error-level line')
  t.ok(cap.lines().some((l) => l['msg'] === 'WebSocket closed on a client protocol error'), 'an info line says what happened')
})

t.test('the socket needs the gateway\'s assertion', async (t) => {
  const h = await appHarness(t)
  const url = await h.app.listen({ host: '127.0.0.1', port: 0 })
  const ws = new WebSocket(`${url.replace('http', 'ws')}/ws/chat`)
  ws.on('error', () => {})
  const [, res] = await once(ws, 'unexpected-response') as [unknown, { statusCode: number }]
  t.equal(res.statusCode, 401)
})

t.test('an OpenAI-compatible provider streams through', async (t) => {
  const seen: unknown[] = []
  const stub = Fastify()
  stub.post('/v1/chat/completions', async (request, reply) => {
    seen.push(request.body)
    reply.raw.writeHead(200, { 'content-type': 'text/event-stream' })
    for (const piece of ['Hel', 'lo', '!']) reply.raw.write(`data: ${JSON.stringify({ choices: [{ delta: { content: piece } }] })}\n\n`)
    reply.raw.write('data: {not json}\n\n')
    reply.raw.end('data: [DONE]\n\n')
    return reply
  })
  const base = await stub.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => stub.close())
  const h = await appHarness(t, { LLM_BASE_URL: `${base}/v1`, LLM_API_KEY: 'sk-test', LLM_MODEL: 'test-model' })
  const url = await h.app.listen({ host: '127.0.0.1', port: 0 })
  const { ws, next } = await connect(url, h.as(alice))
  await next()
  ws.send(JSON.stringify({ type: 'chat_message', conversation_id: 'c9', content: 'hi', system_instructions: 'be brief', history: [{ role: 'assistant', content: 'earlier answer' }] }))
  t.equal(await collectReply(next, 'c9'), 'Hello!')
  t.match(seen[0], { model: 'test-model', stream: true, messages: [{ role: 'system', content: 'be brief' }, { role: 'assistant', content: 'earlier answer' }, { role: 'user', content: 'hi' }] })
  await stub.close()
  ws.send(JSON.stringify({ type: 'chat_message', conversation_id: 'c10', content: 'again' }))
  t.match(await next((m) => m['conversation_id'] === 'c10'), { type: 'error', code: 'PROVIDER_ERROR' }, 'a provider failure is an error event, not a crash')
  ws.close()
})
