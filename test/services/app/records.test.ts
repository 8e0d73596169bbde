import t from 'tap'
import { appHarness } from './harness.js'

const alice = { sub: 'user_alice' }
const bob = { sub: 'user_bob' }

t.test('agents and workflows: per-user CRUD with validation, pagination and ownership', async (t) => {
  const h = await appHarness(t)
  const post = (path: string, who: { sub: string }, payload: object) => h.app.inject({ method: 'POST', url: path, headers: h.as(who), payload })
  const created = await post('/api/agents', alice, { name: 'Helper', system_prompt: 'Be kind', temperature: 0.3, tools: ['web_search'] })
  t.equal(created.statusCode, 201)
  const agent = created.json()
  t.match(agent, { id: /^agent_/, name: 'Helper', system_prompt: 'Be kind', temperature: 0.3, created_at: String })
  t.notOk('user_id' in agent, 'the owner field is internal')
  for (let i = 0; i < 4; i++) await post('/api/agents', alice, { name: `A${i}` })
  await post('/api/agents', bob, { name: 'Bob agent' })

  const page1 = (await h.app.inject({ url: '/api/agents?page=1&page_size=3', headers: h.as(alice) })).json()
  t.same(Object.keys(page1).sort(), ['agents', 'page', 'page_size', 'total_count'])
  t.equal(page1.total_count, 5, 'only alice\'s agents are counted')
  t.equal(page1.agents.length, 3)
  const page2 = (await h.app.inject({ url: '/api/agents?page=2&page_size=3', headers: h.as(alice) })).json()
  t.equal(page2.agents.length, 2)
  t.equal((await h.app.inject({ url: '/api/agents?page_size=101', headers: h.as(alice) })).statusCode, 400, 'bounded page size')

  // Bob can neither read, change nor delete alice's agent; he learns nothing of its existence.
  for (const [method, payload] of [['GET', undefined], ['PATCH', { name: 'Hijacked' }], ['DELETE', undefined]] as const) {
    const res = await h.app.inject({ method, url: `/api/agents/${agent.id}`, headers: h.as(bob), ...(payload ? { payload } : {}) })
    t.equal(res.statusCode, 404, `bob ${method}`)
    t.equal(res.json().code, 'APP_NOT_FOUND')
  }
  const still = await h.app.inject({ url: `/api/agents/${agent.id}`, headers: h.as(alice) })
  t.equal(still.json().name, 'Helper', 'unchanged')

  const patched = await h.app.inject({ method: 'PATCH', url: `/api/agents/${agent.id}`, headers: h.as(alice), payload: { name: 'Renamed' } })
  t.equal(patched.json().name, 'Renamed')
  t.equal(patched.json().system_prompt, 'Be kind', 'a patch changes only what it names')
  t.equal((await h.app.inject({ method: 'DELETE', url: `/api/agents/${agent.id}`, headers: h.as(alice) })).statusCode, 200)
  t.equal((await h.app.inject({ url: `/api/agents/${agent.id}`, headers: h.as(alice) })).statusCode, 404)

  const wf = await post('/api/workflows', alice, { name: 'Daily', steps: [{ type: 'prompt', config: { text: 'hi', retries: 2 } }] })
  t.equal(wf.statusCode, 201)
  t.match(wf.json(), { id: /^wf_/, steps: [{ type: 'prompt', config: { text: 'hi', retries: 2 } }] })
  t.equal((await h.app.inject({ url: `/api/workflows/${wf.json().id}`, headers: h.as(bob) })).statusCode, 404)
})

t.test('bad input is a 4xx with the error body, never a 500', async (t) => {
  const h = await appHarness(t)
  const cases: Array<[string, string, string, unknown]> = [
    ['missing name', 'POST', '/api/agents', {}],
    ['wrong type', 'POST', '/api/agents', { name: 5 }],
    ['unknown field', 'POST', '/api/agents', { name: 'x', user_id: 'user_bob' }],
    ['temperature out of range', 'POST', '/api/agents', { name: 'x', temperature: 9 }],
    ['too many steps', 'POST', '/api/workflows', { name: 'x', steps: Array.from({ length: 101 }, () => ({ type: 't' })) }],
    ['nested object in step config', 'POST', '/api/workflows', { name: 'x', steps: [{ type: 't', config: { a: { b: 1 } } }] }],
    ['empty patch', 'PATCH', '/api/agents/agent_x', {}],
    ['odd id', 'GET', '/api/agents/..%2F..%2Fetc', undefined],
    ['huge id', 'GET', `/api/agents/${'a'.repeat(300)}`, undefined],
    ['__proto__', 'POST', '/api/agents', '{"name":"x","__proto__":{"admin":true}}'],
    ['not JSON', 'POST', '/api/workflows', '{"name":'],
    // A Record schema is only patternProperties: keys outside the pattern must not slip through unchecked.
    ['credential key outside the pattern', 'POST', '/api/integrations', { provider: 'openai', name: 'n', credentials: { 'bad key': 'v' } }],
    ['credential nested 100k deep under such a key', 'POST', '/api/integrations', `{"provider":"openai","name":"n","credentials":{"bad key":${'['.repeat(100_000)}${']'.repeat(100_000)}}}`],
    ['credential key over 100 characters', 'POST', '/api/integrations', { provider: 'openai', name: 'n', credentials: { ['k'.repeat(101)]: 'v' } }],
    ['step config key with a line break', 'POST', '/api/workflows', { name: 'x', steps: [{ type: 't', config: { 'a\nb': { x: 1 } } }] }],
    ['step config nested 100k deep under such a key', 'POST', '/api/workflows', `{"name":"x","steps":[{"type":"t","config":{"a\\nb":${'['.repeat(100_000)}${']'.repeat(100_000)}}}]}`],
    ['step config key over 100 characters', 'POST', '/api/workflows', { name: 'x', steps: [{ type: 't', config: { ['k'.repeat(101)]: 1 } }] }],
  ]
  for (const [name, method, url, payload] of cases) {
    const res = await h.app.inject({ method: method as 'POST', url, headers: { ...h.as(alice), 'content-type': 'application/json' }, ...(payload !== undefined ? { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) } : {}) })
    t.ok(res.statusCode >= 400 && res.statusCode < 500, `${name}: ${res.statusCode}`)
    t.match(res.json(), { error: String, code: String, request_id: String }, name)
  }
  t.equal((await h.app.inject({ url: '/api/agents' })).statusCode, 401, 'no assertion, nothing')
})

t.test('a chat nested deeper than the limit is refused with 400, not a stack overflow; at the limit it round-trips', async (t) => {
  const h = await appHarness(t)
  // body (1) > messages (2) > message (3) > `extra`: the rest of the levels.
  const chat = (levels: number): string => `{"title":"deep","messages":[{"role":"user","content":"hi","extra":${'['.repeat(levels)}${']'.repeat(levels)}}]}`
  const put = (id: string, payload: string) => h.app.inject({ method: 'PUT', url: `/api/chats/${id}`, headers: { ...h.as(alice), 'content-type': 'application/json' }, payload })
  for (const levels of [30, 100_000]) {
    const res = await put(`deep${levels}`, chat(levels))
    t.equal(res.statusCode, 400, `${levels} levels`)
    t.match(res.json(), { code: 'APP_NESTED_TOO_DEEP', error: /32 levels/, request_id: String })
    t.equal((await h.app.inject({ url: `/api/chats/deep${levels}`, headers: h.as(alice) })).statusCode, 404, 'nothing stored')
  }
  t.equal((await put('limit', chat(29))).statusCode, 200, '32 levels in all are accepted')
  const back = await h.app.inject({ url: '/api/chats/limit', headers: h.as(alice) })
  t.equal(back.statusCode, 200)
  t.same(back.json().messages[0].extra, JSON.parse(`${'['.repeat(29)}${']'.repeat(29)}`), 'and read back intact')
})

t.test('public templates need no account', async (t) => {
  const h = await appHarness(t)
  const res = await h.app.inject({ url: '/api/public/agent-templates' })
  t.equal(res.statusCode, 200)
  t.ok(res.json().templates.length >= 3)
  t.equal(res.json().total_count, res.json().templates.length)
})

t.test('auth.user.deleted removes all of that user\'s data', async (t) => {
  const h = await appHarness(t)
  await h.app.inject({ method: 'POST', url: '/api/agents', headers: h.as(alice), payload: { name: 'a' } })
  await h.app.inject({ method: 'POST', url: '/api/workflows', headers: h.as(alice), payload: { name: 'w', steps: [] } })
  await h.app.inject({ method: 'POST', url: '/api/agents', headers: h.as(bob), payload: { name: 'b' } })
  await h.bus.publish('auth.user.deleted', { user_id: 'user_alice' })
  await new Promise((r) => setTimeout(r, 50))
  t.equal((await h.app.inject({ url: '/api/agents', headers: h.as(alice) })).json().total_count, 0)
  t.equal((await h.app.inject({ url: '/api/workflows', headers: h.as(alice) })).json().total_count, 0)
  t.equal((await h.app.inject({ url: '/api/agents', headers: h.as(bob) })).json().total_count, 1, 'others keep theirs')
})
