import t from 'tap'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { once } from 'node:events'
import WebSocket from 'ws'
import { createAssertionSigner, IDENTITY_HEADER } from '@claraverse/identity'
import { needServer, REDIS_URL } from '../../helpers/servers.js'
import { spawnNode } from '../../helpers/spawn.js'

t.test('a conversation reaches the same user\'s sockets on another app process through Redis', async (t) => {
  if (!(await needServer(t, 'Redis', REDIS_URL))) return
  const keys = generateKeyPairSync('ed25519')
  const env = {
    ...process.env, ENVIRONMENT: 'test', LOG_LEVEL: 'warn', REDIS_URL, DATA_DIR: mkdtempSync(join(tmpdir(), 'cv-fanout-')),
    IDENTITY_PUBLIC_KEY: keys.publicKey.export({ format: 'pem', type: 'spki' }).toString(), HOST: '127.0.0.1', PORT: '0',
  }
  const replicas = [0, 1].map(() => spawnNode('--import=tsx', [resolve('test/services/app/app-process.ts')], env))
  t.teardown(() => { for (const r of replicas) r.child.kill('SIGKILL') })
  const urls = await Promise.all(replicas.map(async (r) => (await r.waitFor(/listening (\S+)\n/))[1]!))
  const signer = createAssertionSigner({ privateKey: keys.privateKey })
  const headers = (sub: string) => ({ [IDENTITY_HEADER]: signer.sign({ sub, email: `${sub}@x.com`, role: 'user', sid: `s_${sub}` }, ['app']) })

  const open = async (url: string, sub: string) => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/ws/chat`, { headers: headers(sub) })
    const got: Array<Record<string, unknown>> = []
    ws.on('message', (d: Buffer) => got.push(JSON.parse(d.toString())))
    await once(ws, 'open')
    while (!got.some((m) => m['type'] === 'connected')) await new Promise((r) => setTimeout(r, 10))
    return { ws, got }
  }
  const onA = await open(urls[0]!, 'user_amy')
  const onB = await open(urls[1]!, 'user_amy')
  const stranger = await open(urls[1]!, 'user_zed')
  await new Promise((r) => setTimeout(r, 100)) // subscriptions settle
  onA.ws.send(JSON.stringify({ type: 'chat_message', conversation_id: 'conv1', content: 'one two three' }))
  const deadline = Date.now() + 5000
  while (!onB.got.some((m) => m['type'] === 'stream_end') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
  const text = (got: Array<Record<string, unknown>>) => got.filter((m) => m['type'] === 'stream_chunk').map((m) => m['content']).join('')
  t.equal(text(onA.got), 'Echo: one two three', 'the sending replica\'s socket')
  t.equal(text(onB.got), 'Echo: one two three', 'the other replica\'s socket, through Redis')
  t.ok(onB.got.some((m) => m['type'] === 'stream_end' && m['conversation_id'] === 'conv1'))
  t.notOk(onB.got.some((m) => 'origin' in m), 'the replica tag stays internal')
  t.equal(onA.got.filter((m) => m['type'] === 'stream_end').length, 1, 'no duplicate delivery on the origin')
  t.same(stranger.got.filter((m) => m['type'] !== 'connected'), [], 'another user hears nothing')
  for (const s of [onA, onB, stranger]) s.ws.close()
})
