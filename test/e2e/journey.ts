import { once } from 'node:events'
import type { Test } from 'tap'
import WebSocket from 'ws'

type Json = Record<string, unknown>
export interface Reply { status: number; body: Json; headers: Headers }

/** A client that talks to the gateway only, as the ClaraVerse web client does. */
export function client(base: string) {
  const call = async (method: string, path: string, opts: { token?: string; body?: unknown; cookie?: string } = {}): Promise<Reply> => {
    const headers: Record<string, string> = { origin: 'https://chat.example.com' }
    if (opts.token !== undefined) headers['authorization'] = `Bearer ${opts.token}`
    if (opts.body !== undefined) headers['content-type'] = 'application/json'
    if (opts.cookie !== undefined) headers['cookie'] = opts.cookie
    const res = await fetch(`${base}${path}`, { method, headers, ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}) })
    const text = await res.text()
    return { status: res.status, body: text === '' ? {} : JSON.parse(text) as Json, headers: res.headers }
  }
  return { call, base }
}

export interface ChatSocket { ws: WebSocket; got: Json[]; closed: Promise<number> }

/** Opens /ws/chat through the gateway and waits for the app's greeting. */
export async function openChat(base: string, token: string): Promise<ChatSocket> {
  const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/ws/chat`, ['claraverse.v1', `bearer.${token}`], { origin: 'https://chat.example.com' })
  const got: Json[] = []
  ws.on('message', (d: Buffer) => got.push(JSON.parse(d.toString()) as Json))
  const closed = once(ws, 'close').then(([code]) => code as number)
  await once(ws, 'open')
  await until(() => got.some((m) => m['type'] === 'connected'), 'the chat greeting')
  return { ws, got, closed }
}

export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

const refreshCookie = (r: Reply): string | undefined => r.headers.getSetCookie().map((c) => c.split(';')[0]!).find((c) => c.startsWith('refresh_token='))

/**
 * The whole life of two accounts, through the gateway only (DESIGN §3): the first account
 * becomes the admin, the second is an ordinary user whom the admin finally disables.
 */
export async function userJourney(t: Test, base: string): Promise<void> {
  const { call } = client(base)
  const status = await call('GET', '/api/auth/status')
  t.equal(status.status, 200, 'auth status is public')

  const owner = await call('POST', '/api/auth/register', { body: { email: 'Owner@Example.com', password: 'correct horse battery' } })
  t.equal(owner.status, 201, 'the owner registers')
  t.equal((owner.body['user'] as Json)['role'], 'admin', 'the first account is the admin')
  const adminToken = owner.body['access_token'] as string

  const reg = await call('POST', '/api/auth/register', { body: { email: 'bob@example.com', password: 'bobs own passphrase' } })
  t.equal(reg.status, 201)
  t.equal((reg.body['user'] as Json)['role'], 'user', 'later accounts are users')
  const again = await call('POST', '/api/auth/register', { body: { email: 'BOB@example.com', password: 'another passphrase' } })
  t.equal(again.status, 409, 'one account per email, whatever its case')

  const wrong = await call('POST', '/api/auth/login', { body: { email: 'bob@example.com', password: 'not his passphrase' } })
  t.equal(wrong.status, 401, 'a wrong password is refused')
  const login = await call('POST', '/api/auth/login', { body: { email: 'bob@example.com', password: 'bobs own passphrase' } })
  t.equal(login.status, 200, 'bob logs in')
  const cookie = refreshCookie(login)
  t.ok(cookie, 'the refresh token also comes as a cookie')
  t.match(login.headers.getSetCookie().join('\n'), /HttpOnly/i)

  // Rotation: the refresh token is single use, and the new pair works.
  const refreshed = await call('POST', '/api/auth/refresh', { body: { refresh_token: login.body['refresh_token'] } })
  t.equal(refreshed.status, 200, 'refresh with the body token')
  t.not(refreshed.body['refresh_token'], login.body['refresh_token'], 'a new refresh token each time')
  const viaCookie = await call('POST', '/api/auth/refresh', { cookie: refreshCookie(refreshed)! })
  t.equal(viaCookie.status, 200, 'refresh with the cookie alone')
  const token = viaCookie.body['access_token'] as string

  const me = await call('GET', '/api/auth/me', { token })
  t.equal(me.status, 200)
  t.equal(me.body['email'], 'bob@example.com')
  t.equal((await call('GET', '/api/auth/me')).status, 401, 'no token, no account')

  // A synced chat, stored encrypted by the app through the vault, read back whole.
  const messages = [{ role: 'user', content: 'Hello, Clara' }, { role: 'assistant', content: 'Hello, Bob' }]
  const put = await call('PUT', '/api/chats/chat-1', { token, body: { title: 'First chat', messages } })
  t.equal(put.status, 200, 'the chat is stored')
  const chat = await call('GET', '/api/chats/chat-1', { token })
  t.equal(chat.status, 200)
  t.same(chat.body['messages'], messages, 'the chat reads back as written')
  t.equal(chat.body['title'], 'First chat')
  t.equal((await call('GET', '/api/chats/chat-1', { token: adminToken })).status, 404, 'another user cannot see it')

  const integ = await call('POST', '/api/integrations', { token, body: { provider: 'openai', name: 'My key', credentials: { api_key: 'sk-live-abcdefghijklmnop' } } })
  t.equal(integ.status, 201, 'an integration is stored')
  t.notMatch(JSON.stringify(integ.body), 'abcdefghijklmnop', 'its credential never comes back whole')
  const listed = await call('GET', '/api/integrations', { token })
  t.equal((listed.body['integrations'] as Json[]).length, 1)

  // Chat over the WebSocket, through the gateway's proxy to the app.
  const sock = await openChat(base, token)
  sock.ws.send(JSON.stringify({ type: 'chat_message', conversation_id: 'chat-1', content: 'how are you' }))
  await until(() => sock.got.some((m) => m['type'] === 'stream_end'), 'the streamed answer')
  const answer = sock.got.filter((m) => m['type'] === 'stream_chunk').map((m) => m['content']).join('')
  t.equal(answer, 'Echo: how are you', 'the answer streams back')

  // The admin's view.
  t.equal((await call('GET', '/api/admin/users', { token })).status, 403, 'a user is not an admin')
  const users = await call('GET', '/api/admin/users', { token: adminToken })
  t.equal(users.status, 200)
  const list = users.body['users'] as Json[]
  t.same(list.map((u) => u['email']).sort(), ['bob@example.com', 'owner@example.com'])
  const analytics = await call('GET', '/api/admin/analytics', { token: adminToken })
  t.equal(analytics.status, 200)
  t.match(analytics.body, { total_users: 2, admins: 1, total_chats: 1, total_integrations: 1 }, 'analytics count what happened')

  // The admin disables bob: his socket closes at once and his token stops working.
  const bob = list.find((u) => u['email'] === 'bob@example.com')!
  const disable = await call('PATCH', `/api/admin/users/${String(bob['id'])}`, { token: adminToken, body: { disabled: true } })
  t.equal(disable.status, 200, 'the admin disables bob')
  t.equal(await sock.closed, 4401, 'bob\'s open socket is closed as revoked')
  t.equal((await call('GET', '/api/auth/me', { token })).status, 401, 'bob\'s next request is refused')
  t.equal((await call('POST', '/api/auth/login', { body: { email: 'bob@example.com', password: 'bobs own passphrase' } })).status, 401, 'and he cannot log in again')

  // The admin logs out: the session ends everywhere.
  const out = await call('POST', '/api/auth/logout', { token: adminToken, body: { refresh_token: owner.body['refresh_token'] } })
  t.equal(out.status, 200, 'logout')
  await until(async () => (await call('GET', '/api/auth/me', { token: adminToken })).status === 401, 'the revocation to reach the gateway')
  t.equal((await call('POST', '/api/auth/refresh', { body: { refresh_token: owner.body['refresh_token'] } })).status, 401, 'the refresh token is dead too')
}
