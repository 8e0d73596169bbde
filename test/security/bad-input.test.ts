import t from 'tap'
import { exchange, type RawResponse } from '../helpers/raw-http.js'
import { runAll } from './run.js'
import { buildCorpus, head, type Credentials } from './corpus.js'
import { errorLogs, proxyCases } from './proxy-cases.js'
import { wireCases } from './wire.js'
import { call, claimsOf, forgedTokens, startSystem } from './system.js'
import { badFrames } from './frames.js'

/**
 * A generated corpus of bad requests (malformed JSON, wrong types, huge and deeply nested bodies,
 * Unicode edges, __proto__/constructor keys, header injection, oversized heads, request-smuggling
 * shapes, broken WebSocket handshakes) against every route the gateway serves, sent over raw
 * sockets to the real system in a child process. No 5xx, no hang, no crash; every response from
 * Fastify or our code is a 4xx with the error body. See corpus.ts for the responses exempt from
 * the JSON rule and why.
 */

const UNLIMITED = {
  RATE_LIMIT_GLOBAL_API: '1000000', RATE_LIMIT_PUBLIC_READ: '1000000', RATE_LIMIT_AUTHENTICATED: '1000000',
  RATE_LIMIT_WEBSOCKET: '1000000', RATE_LIMIT_IMAGE_PROXY: '1000000', RATE_LIMIT_AUTH: '1000000',
}

t.test('a generated bad-input corpus against every route: no 5xx, no hang, no crash, always the error body', async (t) => {
  const sys = await startSystem(UNLIMITED)
  t.teardown(() => { sys.proc.child.kill('SIGKILL') })
  const { url, port, proc } = sys

  // What must survive the corpus: the first user (admin), a member, and the member's data.
  const owner = await call(url, 'POST', '/api/auth/register', { body: { email: 'owner@example.com', password: 'a sturdy passphrase' } })
  t.equal(owner.status, 201)
  t.match(owner.body, { user: { role: 'admin' } }, 'the first user is the admin')
  const member = await call(url, 'POST', '/api/auth/register', { body: { email: 'member@example.com', password: 'another sturdy passphrase' } })
  t.equal(member.status, 201)
  const admin = String(owner.body['access_token'])
  const memberToken = String(member.body['access_token'])
  const chat = { title: 'Keep me \u{1F600}', messages: [{ role: 'user', content: 'caf\u00e9 \u202e \u0000 end' }, { role: 'assistant', content: 'x'.repeat(10_000) }] }
  t.equal((await call(url, 'PUT', '/api/chats/keep-me', { token: memberToken, body: chat })).status, 200)
  const integration = await call(url, 'POST', '/api/integrations', { token: memberToken, body: { provider: 'openai', name: 'Key', credentials: { api_key: 'sk-keep-me-0123456789' } } })
  t.equal(integration.status, 201)

  const creds: Credentials = { admin, member: memberToken, memberRefresh: String(member.body['refresh_token']), forged: forgedTokens(memberToken) }
  const corpus = [...buildCorpus(creds), ...wireCases(creds), ...proxyCases(creds)]
  const started = Date.now()
  const problems = await runAll(port, corpus)
  const total = corpus.length
  const groups = new Map<string, number>()
  for (const c of corpus) groups.set(c.group, (groups.get(c.group) ?? 0) + 1)
  t.comment(`bad-input corpus: ${total} requests in ${Date.now() - started} ms (${[...groups].map(([g, n]) => `${g} ${n}`).join(', ')})`)
  t.ok(total >= 1000, `at least 1,000 requests (${total})`)

  for (const [group] of groups) {
    const found = problems.filter((p) => p.group === group).map((p) => `${p.name}: ${p.problem}`)
    t.same(found.slice(0, 25), [], `${group}: every response as required${found.length > 25 ? ` (${found.length} problems, first 25 shown)` : ''}`)
  }
  await t.test('bad WebSocket frames get an error event and the socket stays usable', async (t) => {
    const frames = await badFrames(url, memberToken)
    t.comment(`${frames.sent} bad frames`)
    t.same(frames.unanswered, [], 'every bad frame answered with {type: "error", code, message}')
    t.equal(frames.pong, true, 'a ping afterwards still gets its pong')
    t.equal(frames.oversizedClose, 1009, 'a frame over 256 KiB closes the socket with 1009')
  })

  t.same(errorLogs(proc.stdout()).slice(0, 5), [], 'no service logged an error (every 5xx and every crash logs one)')

  // The same process, still healthy, with everything it held before.
  t.equal(proc.child.exitCode, null, 'the process is still running')
  t.equal(proc.child.signalCode, null)
  t.equal(proc.stdout().match(/running at/g)?.length, 1, 'it started once and never restarted')
  t.same((await call(url, 'GET', '/health')).body, { status: 'ok', service: 'gateway' })
  t.equal((await call(url, 'GET', '/ready')).status, 200)
  const me = await call(url, 'GET', '/api/auth/me', { token: memberToken })
  t.equal(me.status, 200, 'no bad body to logout, logout-all or password ended the member\'s session')
  const kept = await call(url, 'GET', '/api/chats/keep-me', { token: memberToken })
  t.equal(kept.status, 200)
  t.match(kept.body, { id: 'keep-me', title: chat.title, message_count: 2 })
  t.same(kept.body['messages'], chat.messages, 'the chat decrypts to what was stored')
  const listed = await call(url, 'GET', '/api/integrations', { token: memberToken })
  t.match(listed.body, { total_count: 1, integrations: [{ name: 'Key', credentials: { api_key: '••••6789' } }] })
  const users = await call(url, 'GET', '/api/admin/users', { token: admin })
  t.equal(users.status, 200, 'the admin is still admin')
  t.match(users.body, { total_count: 2 }, 'no account was created or deleted by the corpus')
  const byEmail = Object.fromEntries((users.body['users'] as Array<{ email: string; role: string; disabled: boolean }>).map((u) => [u.email, u]))
  t.match(byEmail, { 'owner@example.com': { role: 'admin', disabled: false }, 'member@example.com': { role: 'user', disabled: false } })
  const login = await call(url, 'POST', '/api/auth/login', { body: { email: 'owner@example.com', password: 'a sturdy passphrase' } })
  t.equal(login.status, 200, 'the admin can still log in')
  t.equal(claimsOf(String(login.body['access_token']))['role'], 'admin')
})

t.test('with the limits on, bad input counts against them and is refused with a JSON 429', async (t) => {
  const sys = await startSystem({ RATE_LIMIT_AUTH: '3' })
  t.teardown(() => { sys.proc.child.kill('SIGKILL') })
  const statuses: number[] = []
  let limited: RawResponse | undefined
  for (let i = 0; i < 8 && !limited; i++) {
    const x = await exchange(sys.port, head('POST', '/api/auth/login', [['content-type', 'application/json']], '{"email":'), { responses: 1 })
    const res = x.responses[0]
    statuses.push(res?.status ?? 0)
    if (res?.status === 429) limited = res
  }
  // Three bad bodies reach auth (400); then the tier answers. A window boundary between two of
  // these requests (fixed one-minute windows) may let three more through: never more.
  const before = statuses.slice(0, -1)
  t.ok(before.length >= 3 && before.length <= 6 && before.every((s) => s === 400), `bad bodies count against the auth tier until it answers 429 (${statuses.join(',')})`)
  if (!limited) return t.fail('no 429')
  t.match(JSON.parse(limited.body.toString()), { error: String, code: 'RATE_LIMITED', request_id: String, retry_after: Number })
  t.ok(Number(limited.headers['retry-after']) >= 1, 'with Retry-After')
})
