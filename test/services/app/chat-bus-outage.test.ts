import t from 'tap'
import WebSocket from 'ws'
import { once } from 'node:events'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadAppConfig } from '@claraverse/config'
import { createAssertionSigner, createAssertionVerifier, IDENTITY_HEADER } from '@claraverse/identity'
import { createLogger } from '@claraverse/logging'
import { createMemoryBus, type Bus } from '@claraverse/bus'
import { buildApp } from '@claraverse/app'

/**
 * A bus whose chat subscriptions never complete, as the Redis bus behaves while Redis is down
 * (the subscriber queues SUBSCRIBE until it reconnects).
 */
function stalledBus(): Bus {
  const inner = createMemoryBus(createLogger({ name: 'bus', level: 'silent' }))
  return {
    kind: 'redis',
    publish: (c, e) => inner.publish(c, e),
    subscribe: (c, h) => (c.startsWith('app.chat.') ? new Promise<void>(() => {}) : inner.subscribe(c, h)),
    unsubscribe: (c, h) => (c.startsWith('app.chat.') ? new Promise<void>(() => {}) : inner.unsubscribe(c, h)),
    close: () => inner.close(),
  }
}

t.test('a user\'s first chat socket works while the bus cannot subscribe (Redis down)', async (t) => {
  const keys = generateKeyPairSync('ed25519')
  const bus = stalledBus()
  const app = await buildApp(loadAppConfig({ ENVIRONMENT: 'test', LOG_LEVEL: 'silent', DATA_DIR: mkdtempSync(join(tmpdir(), 'cv-app-')) }), {
    logger: createLogger({ name: 'app', level: 'silent' }),
    verifier: createAssertionVerifier({ audience: 'app', publicKeys: [keys.publicKey] }),
    bus,
  })
  t.teardown(async () => { await app.close(); await bus.close() })
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  const signer = createAssertionSigner({ privateKey: keys.privateKey })
  const headers = { [IDENTITY_HEADER]: signer.sign({ sub: 'user_first', email: 'first@example.com', role: 'user', sid: 'ses_first' }, ['app']) }

  const ws = new WebSocket(`${url.replace('http', 'ws')}/ws/chat`, ['claraverse.v1'], { headers })
  const got: Array<Record<string, unknown>> = []
  ws.on('message', (d: Buffer) => got.push(JSON.parse(d.toString()) as Record<string, unknown>))
  await once(ws, 'open')
  const until = async (what: string, check: () => boolean): Promise<void> => {
    const deadline = Date.now() + 5000
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`no ${what}; got ${JSON.stringify(got)}`)
      await new Promise((r) => setTimeout(r, 10))
    }
  }
  await until('greeting', () => got.some((m) => m['type'] === 'connected'))
  t.pass('the socket is greeted although its subscription is still pending')
  ws.send(JSON.stringify({ type: 'chat_message', conversation_id: 'c1', content: 'anyone there' }))
  await until('answer', () => got.some((m) => m['type'] === 'stream_end'))
  const answer = got.filter((m) => m['type'] === 'stream_chunk').map((m) => m['content']).join('')
  t.equal(answer, 'Echo: anyone there', 'and its own replica\'s answer reaches it')
  ws.close()
  await once(ws, 'close')
})
