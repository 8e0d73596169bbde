import t from 'tap'
import { appHarness } from './harness.js'

const alice = { sub: 'user_alice' }
const bob = { sub: 'user_bob' }
const secretText = 'my bank PIN is 4321, do not tell anyone'
const apiKey = 'sk-live-SUPERSECRET-0123456789abcdef'

/** Every string stored anywhere in a collection, to search for plaintext. */
async function rawText(h: Awaited<ReturnType<typeof appHarness>>, name: string): Promise<string> {
  const col = await h.store.collection(name)
  return JSON.stringify(await col.find({}))
}

t.test('synced chats are stored only as vault ciphertexts and read back intact', async (t) => {
  const h = await appHarness(t)
  const chat = { title: 'Private matters', messages: [{ role: 'user', content: secretText }, { role: 'assistant', content: 'Noted.', model: 'echo' }] }
  const put = await h.app.inject({ method: 'PUT', url: '/api/chats/chat_1', headers: h.as(alice), payload: chat })
  t.equal(put.statusCode, 200)
  t.match(put.json(), { id: 'chat_1', title: 'Private matters', message_count: 2 })
  const raw = await rawText(h, 'chats')
  t.notMatch(raw, /bank PIN|Private matters|Noted/, 'no plaintext in the store')
  t.match(raw, /cv1\.\d+\./, 'vault ciphertexts instead')

  const got = await h.app.inject({ url: '/api/chats/chat_1', headers: h.as(alice) })
  t.equal(got.statusCode, 200)
  t.same(got.json().messages, chat.messages, 'messages come back intact, extra fields included')
  const list = (await h.app.inject({ url: '/api/chats', headers: h.as(alice) })).json()
  t.same(list.chats.map((c: { id: string; title: string }) => [c.id, c.title]), [['chat_1', 'Private matters']])

  // Same chat id, another user: a separate chat, and alice's stays hers.
  await h.app.inject({ method: 'PUT', url: '/api/chats/chat_1', headers: h.as(bob), payload: { title: 'Bob', messages: [] } })
  t.equal((await h.app.inject({ url: '/api/chats/chat_1', headers: h.as(alice) })).json().title, 'Private matters')
  t.equal((await h.app.inject({ url: '/api/chats/chat_1', headers: h.as(bob) })).json().title, 'Bob')

  const updated = await h.app.inject({ method: 'PUT', url: '/api/chats/chat_1', headers: h.as(alice), payload: { title: 'Renamed', messages: [] } })
  t.equal(updated.json().message_count, 0, 'PUT replaces')
  t.equal((await h.app.inject({ method: 'DELETE', url: '/api/chats/chat_1', headers: h.as(bob) })).statusCode, 200)
  t.equal((await h.app.inject({ url: '/api/chats/chat_1', headers: h.as(alice) })).statusCode, 200, 'bob deleted his own chat_1 only')
})

t.test('a ciphertext moved to another user or record does not decrypt', async (t) => {
  const h = await appHarness(t)
  await h.app.inject({ method: 'PUT', url: '/api/chats/chat_a', headers: h.as(alice), payload: { title: 'A', messages: [{ role: 'user', content: secretText }] } })
  await h.app.inject({ method: 'PUT', url: '/api/chats/chat_b', headers: h.as(alice), payload: { title: 'B', messages: [] } })
  await h.app.inject({ method: 'PUT', url: '/api/chats/chat_x', headers: h.as(bob), payload: { title: 'X', messages: [] } })
  const col = await h.store.collection<{ _id: string; body: string }>('chats')
  const a = await col.findOne({ _id: 'user_alice:chat_a' })
  // Someone with database access copies alice's blob into bob's record and into another of hers.
  await col.updateOne({ _id: 'user_bob:chat_x' }, { $set: { body: a!.body } })
  await col.updateOne({ _id: 'user_alice:chat_b' }, { $set: { body: a!.body } })
  for (const [who, id] of [[bob, 'chat_x'], [alice, 'chat_b']] as const) {
    const res = await h.app.inject({ url: `/api/chats/${id}`, headers: h.as(who) })
    t.equal(res.statusCode, 502, `${who.sub}/${id}: refused`)
    t.equal(res.json().code, 'APP_VAULT_FAILED')
    t.notMatch(res.body, /bank PIN/)
  }
})

t.test('integration credentials: encrypted, masked, never returned in clear', async (t) => {
  const h = await appHarness(t)
  const created = await h.app.inject({ method: 'POST', url: '/api/integrations', headers: h.as(alice), payload: { provider: 'openai', name: 'My key', credentials: { api_key: apiKey, org: 'org-1' } } })
  t.equal(created.statusCode, 201)
  const body = created.json()
  t.same(body.credentials, { api_key: '••••cdef', org: '••••' })
  t.notMatch(created.body, /SUPERSECRET/)
  const raw = await rawText(h, 'integrations')
  t.notMatch(raw, /SUPERSECRET|sk-live/, 'no plaintext credential in the store')
  for (const url of ['/api/integrations', `/api/integrations/${body.id}`]) {
    const res = await h.app.inject({ url, headers: h.as(alice) })
    t.equal(res.statusCode, 200)
    t.notMatch(res.body, /SUPERSECRET/, `${url} masks`)
  }
  const patched = await h.app.inject({ method: 'PATCH', url: `/api/integrations/${body.id}`, headers: h.as(alice), payload: { credentials: { api_key: 'sk-new-0000000000009999' } } })
  t.same(patched.json().credentials, { api_key: '••••9999' })
  t.equal((await h.app.inject({ url: `/api/integrations/${body.id}`, headers: h.as(bob) })).statusCode, 404)
  t.equal((await h.app.inject({ method: 'PATCH', url: `/api/integrations/${body.id}`, headers: h.as(bob), payload: { name: 'x' } })).statusCode, 404)
  t.equal((await h.app.inject({ method: 'DELETE', url: `/api/integrations/${body.id}`, headers: h.as(bob) })).statusCode, 404)
  t.equal((await h.app.inject({ method: 'POST', url: '/api/integrations', headers: h.as(alice), payload: { provider: 'Bad Provider!', name: 'x', credentials: {} } })).statusCode, 400)
})

t.test('without a vault in the audience, nothing is stored', async (t) => {
  const h = await appHarness(t)
  const res = await h.app.inject({ method: 'PUT', url: '/api/chats/c', headers: h.as(alice, ['app']), payload: { title: 't', messages: [] } })
  t.equal(res.statusCode, 502, 'the vault refuses an assertion not meant for it')
  t.equal((await h.store.collection('chats').then((c) => c.count({}))), 0)
})

t.test('admin analytics combine auth\'s figures and the app\'s', async (t) => {
  const h = await appHarness(t)
  const reg = await fetch(`${h.authUrl}/api/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'boss@example.com', password: 'a sturdy passphrase' }) })
  const { user } = await reg.json() as { user: { id: string } }
  await h.app.inject({ method: 'PUT', url: '/api/chats/c1', headers: h.as(alice), payload: { title: 't', messages: [{ role: 'user', content: 'a' }, { role: 'user', content: 'b' }] } })
  await h.app.inject({ method: 'POST', url: '/api/agents', headers: h.as(alice), payload: { name: 'a' } })
  const admin = h.as({ sub: user.id, role: 'admin' }, ['app', 'auth'])
  const res = await h.app.inject({ url: '/api/admin/analytics', headers: admin })
  t.equal(res.statusCode, 200)
  t.same(res.json(), { total_users: 1, admins: 1, active_sessions: 1, logins_24h: 0, failed_logins_24h: 0, total_chats: 1, total_messages: 2, total_agents: 1, total_workflows: 0, total_integrations: 0 })
  const notAdmin = await h.app.inject({ url: '/api/admin/analytics', headers: h.as(alice, ['app', 'auth']) })
  t.equal(notAdmin.statusCode, 403, 'auth decides who is an admin')
})

t.test('after a key rotation, reading a chat stores it again under the new key', async (t) => {
  const { deriveUserKey, encryptWithNonce } = await import('@claraverse/vault')
  const { randomBytes } = await import('node:crypto')
  const k1 = 'aa'.repeat(32)
  const h = await appHarness(t, { ENCRYPTION_MASTER_KEY: 'bb'.repeat(32), ENCRYPTION_KEY_VERSION: '2', ENCRYPTION_MASTER_KEYS_PREVIOUS: `1:${k1}` })
  await h.app.inject({ method: 'PUT', url: '/api/chats/old', headers: h.as(alice), payload: { title: 'x', messages: [] } })
  // What the store held before the rotation: both blobs under key version 1.
  const key = deriveUserKey(Buffer.from(k1, 'hex'), 'user_alice')
  const seal = (text: string, context: string) => encryptWithNonce(key, 1, 'user_alice', context, Buffer.from(text), randomBytes(12))
  const col = await h.store.collection<{ _id: string; body: string; title: string }>('chats')
  await col.updateOne({ _id: 'user_alice:old' }, { $set: {
    body: seal(JSON.stringify({ title: 'Before rotation', messages: [{ role: 'user', content: 'hi' }] }), 'chat:old'),
    title: seal('Before rotation', 'chat:old:title'),
  } })
  const list = (await h.app.inject({ url: '/api/chats', headers: h.as(alice) })).json()
  t.equal(list.chats[0].title, 'Before rotation')
  const one = (await h.app.inject({ url: '/api/chats/old', headers: h.as(alice) })).json()
  t.same(one.messages, [{ role: 'user', content: 'hi' }])
  const doc = await col.findOne({ _id: 'user_alice:old' })
  t.match(doc?.title, /^cv1\.2\./, 'the title was rewrapped under version 2')
  t.match(doc?.body, /^cv1\.2\./, 'and the body')
})
