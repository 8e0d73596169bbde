import t from 'tap'
import { Redis } from 'ioredis'
import { encode } from '@claraverse/bus'
import { Cluster } from '../helpers/cluster.js'
import { freePort } from '../helpers/redis-server.js'
import { openChat, type ChatSocket } from '../e2e/journey.js'
import {
  call, checkAllOk, checkFaultAnswers, checkNoDataLoss, FAULT_ENV, isOk, register, tally, Traffic, until, within,
} from './traffic.js'

const gatewayMetric = async (url: string, name: string): Promise<number> => {
  const text = await fetch(`${url}/metrics`).then((r) => r.text())
  return Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? NaN)
}

/** A chat turn over an open socket; resolves with the streamed answer. */
async function chatTurn(sock: ChatSocket, conversation: string, content: string): Promise<string> {
  sock.ws.send(JSON.stringify({ type: 'chat_message', conversation_id: conversation, content }))
  await until(() => sock.got.some((m) => m['type'] === 'stream_end' && m['conversation_id'] === conversation), `the answer in ${conversation}`, 10_000)
  return sock.got.filter((m) => m['type'] === 'stream_chunk' && m['conversation_id'] === conversation).map((m) => m['content']).join('')
}

t.test('Redis stopped and restarted under traffic: rate limits fail open, then everything recovers', async (t) => {
  const metricsPort = await freePort()
  const cluster = await Cluster.start(t, { env: FAULT_ENV, partEnv: { gateway: { METRICS_PORT: String(metricsPort) } } })
  if (!cluster) return
  const base = cluster.gatewayUrl
  const metrics = `http://127.0.0.1:${metricsPort}`
  const accounts = await Promise.all([1, 2, 3, 4, 5].map((i) => register(base, `redis${i}`)))
  const [watcher, leaver, newcomer] = await Promise.all([register(base, 'watcher'), register(base, 'leaver'), register(base, 'newcomer')])
  const before = await openChat(base, watcher.token)
  t.equal(await chatTurn(before, 'c-before', 'hello'), 'Echo: hello', 'a socket opened before the outage chats')

  const traffic = new Traffic(base, accounts)
  traffic.start(t)
  await traffic.answered(40)

  // The fault: Redis dies (SIGKILL, no persistence: everything it held is gone).
  traffic.phase = 'fault'
  await cluster.redis.stop()
  const fallbacksBefore = await gatewayMetric(metrics, 'gateway_rate_limit_fallbacks_total')
  await traffic.answered(80)
  // A user's first socket opened during the outage still gets its greeting and its answers.
  const during = await within(openChat(base, newcomer.token).then((s) => chatTurn(s, 'c-during', 'still there?').then((answer) => ({ s, answer }))), 10_000, undefined)
  t.equal(during?.answer, 'Echo: still there?', 'a socket opened while Redis is down is greeted and answered')
  t.equal(await chatTurn(before, 'c-fault', 'and now?'), 'Echo: and now?', 'the socket opened before keeps chatting during the outage')
  // A logout while Redis is down: acknowledged, so it must take effect at the gateway once Redis is back.
  const early = await call(base, 'POST', '/api/auth/login', { body: { email: leaver.email, password: leaver.password } })
  t.equal(early.status, 200, 'login works while Redis is down (the login throttle fails open)')
  const earlyToken = (early.body as Record<string, string>)['access_token']!
  t.equal((await call(base, 'POST', '/api/auth/logout', { token: earlyToken })).status, 200, 'logout while Redis is down is acknowledged')
  const fallbacks = await gatewayMetric(metrics, 'gateway_rate_limit_fallbacks_total')
  t.ok(fallbacks > fallbacksBefore, `the gateway counts the fallback to local limits (${fallbacksBefore} → ${fallbacks})`)

  // Repair.
  const { repairedAt, recoveredAt } = await traffic.repair(() => cluster.redis.start())

  const fault = traffic.in('fault')
  t.comment(`before: ${JSON.stringify(tally(traffic.in('before')))}`)
  t.comment(`fault (Redis down): ${JSON.stringify(tally(fault))}`)
  t.comment(`recovery: ${JSON.stringify(tally(traffic.in('recovery')))}; all successful ${recoveredAt - repairedAt} ms after Redis restarted`)
  t.comment(`after: ${JSON.stringify(tally(traffic.in('after')))}`)
  checkAllOk(t, traffic.only('before'), 'before the fault')
  checkFaultAnswers(t, [...fault, ...traffic.in('recovery')], 'while Redis is down')
  // Fail mode open: rate limiting falls back to local counters, so the outage costs no request.
  t.same(fault.filter((o) => !isOk(o)).map((o) => `${o.op} ${o.status}`), [], `with RATE_LIMIT_FAIL_MODE=open every request succeeds while Redis is down (${fault.length})`)
  checkAllOk(t, traffic.only('after'), 'after recovery')
  await checkNoDataLoss(t, base, traffic.acked)

  // The bus is back: subscriptions were renewed, so another app replica's events reach the socket…
  const probe = new Redis(cluster.redis.url)
  const subscribers = async (channel: string): Promise<number> => Number(((await probe.pubsub('NUMSUB', channel)) as [string, number])[1])
  await until(async () => await subscribers('auth.revoked') >= 1 && await subscribers(`app.chat.${watcher.userId}`) >= 1, 'the bus subscriptions to come back')
  const seen = before.got.length
  await probe.publish(`app.chat.${watcher.userId}`, encode(`app.chat.${watcher.userId}`, { type: 'stream_end', conversation_id: 'from-another-replica', origin: 'replica-b' }))
  await until(() => before.got.slice(seen).some((m) => m['conversation_id'] === 'from-another-replica'), 'the fanned-out event')
  t.pass('an event published by another replica after the restart reaches the socket opened before the outage')
  probe.disconnect()

  // The logout acknowledged during the outage reaches the gateway once Redis is back.
  await until(async () => (await call(base, 'GET', '/api/auth/me', { token: earlyToken })).status === 401, 'the logout made during the outage to be enforced')
  t.pass('a session logged out while Redis was down is refused at the gateway after Redis returns')

  // …and a logout after the restart is enforced at the gateway, and closes the user's socket.
  const login = await call(base, 'POST', '/api/auth/login', { body: { email: leaver.email, password: leaver.password } })
  const token = (login.body as Record<string, string>)['access_token']!
  const sock = await openChat(base, token)
  t.equal((await call(base, 'GET', '/api/auth/me', { token })).status, 200, 'the new session works')
  const out = await call(base, 'POST', '/api/auth/logout', { token })
  t.equal(out.status, 200, 'logout after the restart')
  await until(async () => (await call(base, 'GET', '/api/auth/me', { token })).status === 401, 'the revoked token to be refused')
  t.equal(await within(sock.closed, 10_000, 'still open'), 4401, 'the revoked session\'s socket is closed with 4401')
  t.equal((await call(base, 'GET', '/api/auth/me', { token: leaver.token })).status, 200, 'the user\'s other session is unaffected')

  before.ws.close()
  during?.s.ws.close()
  for (const part of ['gateway', 'auth', 'vault', 'app'] as const) t.equal(cluster.proc(part).child.exitCode, null, `${part} kept running through the outage`)

  t.test('RATE_LIMIT_FAIL_MODE=closed: 503 with the JSON error body while Redis is down, then recovery', async (t) => {
    t.equal(await cluster.stopPart('gateway'), 0, 'the open-mode gateway stops cleanly')
    await cluster.startPart('gateway', { RATE_LIMIT_FAIL_MODE: 'closed' })
    const user = accounts[0]!
    t.equal((await call(base, 'GET', '/api/auth/me', { token: user.token })).status, 200, 'Redis up: requests pass')
    await cluster.redis.stop()
    const refused = await Promise.all([1, 2, 3, 4].map(() => call(base, 'GET', '/api/auth/me', { token: user.token })))
    refused.push(await call(base, 'PUT', '/api/chats/closed-mode', { token: user.token, body: { title: 'refused', messages: [] } }))
    for (const r of refused) {
      t.equal(r.status, 503, `refused while Redis is down (${r.ms} ms)`)
      t.match(r.body, { code: 'GW_RATE_LIMIT_UNAVAILABLE', error: String, request_id: String }, 'with the JSON error body')
    }
    t.equal((await call(base, 'GET', '/health')).status, 200, 'the gateway itself is alive (/health is not rate limited)')
    t.equal((await call(base, 'GET', '/ready')).status, 503, '/ready reports the missing Redis')
    const repairedAt = Date.now()
    await cluster.redis.start()
    await until(async () => (await call(base, 'GET', '/api/auth/me', { token: user.token })).status === 200, 'requests to pass again')
    t.comment(`closed mode: requests pass again ${Date.now() - repairedAt} ms after Redis restarted`)
    t.equal((await call(base, 'GET', '/api/chats/closed-mode', { token: user.token })).status, 404, 'the write refused during the outage was never applied')
  })
})
