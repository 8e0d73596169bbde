import t from 'tap'
import { Cluster, type Part } from '../helpers/cluster.js'
import { client, until } from './journey.js'

interface Line { name?: string; msg?: string; trace_id?: string; span_id?: string; parent_span_id?: string; request_id?: string }

t.test('one trace, one request id, from the gateway through the app to the vault', async (t) => {
  const cluster = await Cluster.start(t)
  if (!cluster) return
  const { call } = client(cluster.gatewayUrl)
  const reg = await call('POST', '/api/auth/register', { body: { email: 'tracer@example.com', password: 'follow the request' } })
  const token = reg.body['access_token'] as string
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736'
  const res = await fetch(`${cluster.gatewayUrl}/api/chats/traced`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', traceparent: `00-${traceId}-00f067aa0ba902b7-01`, 'x-request-id': 'trace-me-1' },
    body: JSON.stringify({ title: 't', messages: [{ role: 'user', content: 'hi' }] }),
  })
  t.equal(res.status, 200)
  const lines = (part: Part): Line[] => cluster.proc(part).stdout().split('\n').filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Line).filter((l) => l.trace_id === traceId && l.msg === 'request completed')
  await until(() => (['gateway', 'app', 'vault'] as const).every((p) => lines(p).length > 0), 'every hop\'s log line')
  const [gateway, app, vault] = (['gateway', 'app', 'vault'] as const).map((p) => lines(p)[0])
  t.ok(gateway && app && vault, 'each hop logged the client\'s trace id')
  t.equal(gateway?.parent_span_id, '00f067aa0ba902b7', 'the gateway continues the client\'s span')
  t.equal(app?.parent_span_id, gateway?.span_id, 'the app is a child of the gateway')
  t.equal(vault?.parent_span_id, app?.span_id, 'the vault is a child of the app')
  t.same([gateway?.request_id, app?.request_id, vault?.request_id], ['trace-me-1', 'trace-me-1', 'trace-me-1'], 'one request id everywhere')
})
