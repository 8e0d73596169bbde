import t from 'tap'
import { request } from 'undici'
import { gatewayHarness } from './harness.js'

const metricValue = (text: string, name: string, labels: string): number => {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && labels.split(',').every((p) => l.includes(p)))
  return line === undefined ? 0 : Number(line.split(' ').at(-1))
}

t.test('a request without trace context starts a trace; the upstream sees the gateway\'s span as parent', async (t) => {
  const h = await gatewayHarness(t)
  for (const traceparent of [undefined, 'garbage', '00-00000000000000000000000000000000-b7ad6b7169203331-01', 'ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01']) {
    const res = await request(`${h.url}/api/auth/status`, { headers: traceparent === undefined ? {} : { traceparent } })
    await res.body.dump()
    const sent = h.auth.seen.at(-1)?.headers['traceparent']
    t.match(sent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/, `${traceparent ?? 'none'}: a fresh, valid traceparent upstream`)
    t.notMatch(sent, /^00-0{32}-|0af7651916cd43dd8448eb211c80319c/, 'an invalid one is not continued')
  }
  const ids = new Set(h.auth.seen.map((s) => String(s.headers['traceparent']).split('-')[1]))
  t.equal(ids.size, 4, 'every request its own trace')
  const flagged = await request(`${h.url}/api/auth/status`, { headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-ff' } })
  await flagged.body.dump()
  t.match(h.auth.seen.at(-1)?.headers['traceparent'], /^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/, 'flags other than sampled are zeroed (W3C level 1)')
})

t.test('upstream latency and rate-limit refusals are counted for Prometheus', async (t) => {
  const h = await gatewayHarness(t, { RATE_LIMIT_AUTH: '2' })
  for (let i = 0; i < 3; i++) await (await request(`${h.url}/api/auth/login`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })).body.dump()
  await (await request(`${h.url}/api/chats`, { headers: { authorization: `Bearer ${h.token()}` } })).body.dump()
  await h.app.app.close() // the app goes away: the next call fails fast with 503
  const down = await request(`${h.url}/api/chats`, { headers: { authorization: `Bearer ${h.token()}` } })
  t.equal(down.statusCode, 503)
  await down.body.dump()
  // With a body too: the gateway has read it, and must still answer rather than think the client left.
  const write = await request(`${h.url}/api/agents`, {
    method: 'POST', body: JSON.stringify({ name: 'x' }), headers: { authorization: `Bearer ${h.token()}`, 'content-type': 'application/json' }, headersTimeout: 5000,
  })
  t.equal(write.statusCode, 503, 'a write to a dead upstream is answered at once')
  t.match(await write.body.json(), { code: 'GW_UPSTREAM_UNAVAILABLE', request_id: String })
  const text = await h.gateway.metrics.registry.metrics()
  t.equal(metricValue(text, 'gateway_upstream_duration_seconds_count', 'upstream="auth",status="200"'), 2, 'two logins reached auth')
  t.equal(metricValue(text, 'gateway_upstream_duration_seconds_count', 'upstream="app",status="200"'), 1)
  t.equal(metricValue(text, 'gateway_upstream_duration_seconds_count', 'upstream="app",status="503"'), 2, 'failures are timed too')
  t.equal(metricValue(text, 'gateway_rate_limited_total', 'tier="auth"'), 1, 'the third login was refused by the auth tier')
})
