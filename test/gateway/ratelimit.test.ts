import t from 'tap'
import { request } from 'undici'
import { Redis } from 'ioredis'
import WebSocket from 'ws'
import { once } from 'node:events'
import { recordRevocation } from '@claraverse/bus'
import { needServer, REDIS_URL } from '../helpers/servers.js'
import { OwnedRedis } from '../helpers/redis-server.js'
import { gatewayHarness } from './harness.js'

// A database of this file's own: other suites' counters never mix with these.
const DB_URL = `${REDIS_URL.replace(/\/\d*$/, '')}/10`
let ipSeq = 0
/** Each test speaks as its own client address (the gateway trusts the loopback proxy). */
const nextIp = (): string => `198.51.100.${++ipSeq}`

async function call(url: string, path: string, ip: string, headers: Record<string, string> = {}, method: 'GET' | 'POST' | 'DELETE' = 'GET') {
  const res = await request(`${url}${path}`, { method, headers: { 'x-forwarded-for': ip, ...headers } })
  const body = await res.body.text()
  return { status: res.statusCode, headers: res.headers, body: body ? JSON.parse(body) as Record<string, unknown> : {} }
}

t.test('rate limits with Redis', async (t) => {
  if (!(await needServer(t, 'Redis', REDIS_URL))) return
  const redis = new Redis(DB_URL)
  t.teardown(() => redis.disconnect())
  await redis.flushdb()
  const env = {
    REDIS_URL: DB_URL, TRUST_PROXY: '127.0.0.1',
    RATE_LIMIT_GLOBAL_API: '8', RATE_LIMIT_PUBLIC_READ: '5', RATE_LIMIT_AUTHENTICATED: '4',
    RATE_LIMIT_WEBSOCKET: '2', RATE_LIMIT_IMAGE_PROXY: '3', RATE_LIMIT_AUTH: '2',
  }

  t.test('each tier is hit at its own limit, with headers and the 429 body', async (t) => {
    const h = await gatewayHarness(t, env)
    const cases: Array<[string, string, number, (ip: string) => Promise<{ status: number; headers: Record<string, unknown>; body: Record<string, unknown> }>]> = [
      ['auth', 'ratelimit:auth:', 2, (ip) => call(h.url, '/api/auth/login', ip, { 'content-type': 'application/json' }, 'POST')],
      ['image proxy', 'ratelimit:image:', 3, (ip) => call(h.url, '/api/proxy/image?url=x', ip)],
      ['public read', 'ratelimit:public:', 5, (ip) => call(h.url, '/api/public/agents', ip)],
      ['global', 'ratelimit:global:', 8, (ip) => call(h.url, '/api/auth/logout', ip, {}, 'POST')],
    ]
    for (const [tier, prefix, limit, hit] of cases) {
      const ip = nextIp()
      for (let i = 1; i <= limit; i++) {
        const r = await hit(ip)
        t.not(r.status, 429, `${tier}: request ${i} of ${limit} passes`)
      }
      const over = await hit(ip)
      t.equal(over.status, 429, `${tier}: request ${limit + 1} is refused`)
      t.match(over.body, { error: String, code: 'RATE_LIMITED', retry_after: Number, request_id: String }, `${tier}: body`)
      t.match(over.headers['retry-after'], /^\d+$/, `${tier}: Retry-After`)
      t.equal(over.headers['ratelimit-remaining'], '0', `${tier}: RateLimit-Remaining`)
      t.ok(Number(over.headers['ratelimit-reset']) > 0 && Number(over.headers['ratelimit-reset']) <= 60, `${tier}: RateLimit-Reset`)
      t.equal(Number(await redis.get(`${prefix}${ip}`)), limit + 1, `${tier}: counted under ${prefix}<ip>`)
      const pttl = await redis.pttl(`${prefix}${ip}`)
      t.ok(pttl > 0 && pttl <= 60_000, `${tier}: the window resets within a minute (${pttl} ms left)`)
      t.equal((await hit(nextIp())).status === 429, false, `${tier}: another address is unaffected`)
    }
  })

  t.test('the user tier is keyed ratelimit:<user id> and runs after authentication', async (t) => {
    const h = await gatewayHarness(t, env)
    const token = h.token({ sub: 'user_rl1' })
    for (let i = 0; i < 4; i++) t.equal((await call(h.url, '/api/auth/me', nextIp(), { authorization: `Bearer ${token}` })).status, 200)
    const over = await call(h.url, '/api/auth/me', nextIp(), { authorization: `Bearer ${token}` })
    t.equal(over.status, 429, 'the same user from five addresses: limited per user')
    t.equal(await redis.get('ratelimit:user_rl1'), '5')
    t.equal(over.headers['ratelimit-limit'], '4')
    const bad = await call(h.url, '/api/auth/me', nextIp(), { authorization: 'Bearer forged.token.here' })
    t.equal(bad.status, 401, 'an invalid token is not counted as a user')
    t.equal(await redis.get('ratelimit:user_rl1'), '5')

    // The security guide's fix: delete the key. Through the admin API, and as redis-cli would.
    const admin = h.token({ sub: 'user_admin1', role: 'admin' })
    const cleared = await call(h.url, '/api/admin/rate-limits/user_rl1', nextIp(), { authorization: `Bearer ${admin}` }, 'DELETE')
    t.equal(cleared.status, 200)
    t.match(cleared.body, { cleared: 1, key: 'ratelimit:user_rl1' })
    t.equal((await call(h.url, '/api/auth/me', nextIp(), { authorization: `Bearer ${token}` })).status, 200, 'cleared: allowed again')
    t.equal((await call(h.url, '/api/admin/rate-limits/user_rl1', nextIp(), { authorization: `Bearer ${token}` }, 'DELETE')).status, 403, 'only admins clear limits')
    t.equal((await call(h.url, '/api/admin/rate-limits/..%2F*', nextIp(), { authorization: `Bearer ${admin}` }, 'DELETE')).status, 400, 'no patterns or odd keys')
  })

  t.test('WebSocket connection attempts are counted', async (t) => {
    const h = await gatewayHarness(t, env)
    const ip = nextIp()
    const open = async (): Promise<number> => {
      const ws = new WebSocket(`${h.url.replace('http', 'ws')}/ws/chat?token=${h.token({ sub: 'user_ws' })}`, { headers: { 'x-forwarded-for': ip } })
      ws.on('error', () => {})
      const [event, , res] = await Promise.race([once(ws, 'open').then(() => ['open']), once(ws, 'unexpected-response').then(([req, r]) => ['refused', req, r])]) as [string, { destroy(): void } | undefined, { statusCode: number } | undefined]
      if (event === 'open') { ws.close(); return 101 }
      return res?.statusCode ?? 0
    }
    t.equal(await open(), 101)
    t.equal(await open(), 101)
    t.equal(await open(), 429, 'the third connection in a minute is refused before any upgrade')
    t.equal(await redis.get(`ratelimit:ws:${ip}`), '3')
  })

  t.test('two gateways on one Redis share counters', async (t) => {
    const a = await gatewayHarness(t, env)
    const b = await gatewayHarness(t, env)
    const ip = nextIp()
    t.equal((await call(a.url, '/api/auth/login', ip, {}, 'POST')).status === 429, false)
    t.equal((await call(b.url, '/api/auth/login', ip, {}, 'POST')).status === 429, false)
    t.equal((await call(a.url, '/api/auth/login', ip, {}, 'POST')).status, 429, 'the third login from one address is refused, whichever replica it hits')
  })

  t.test('HEAD counts as a read', async (t) => {
    const h = await gatewayHarness(t, env)
    const ip = nextIp()
    const statuses: number[] = []
    for (let i = 0; i < 6; i++) statuses.push((await request(`${h.url}/api/public/agents`, { method: 'HEAD', headers: { 'x-forwarded-for': ip } })).statusCode)
    t.equal(statuses.at(-1), 429)
  })

  t.test('a revocation recorded while the gateway was not listening is picked up by the rescan', async (t) => {
    const h = await gatewayHarness(t, { ...env, RATE_LIMIT_AUTHENTICATED: '1000' })
    const now = Math.floor(Date.now() / 1000)
    const token = h.token({ sub: 'user_missed', iat: now - 5 })
    t.equal((await call(h.url, '/api/auth/me', nextIp(), { authorization: `Bearer ${token}` })).status, 200)
    // Recorded in Redis but never heard on the bus, as when the subscriber was reconnecting.
    await recordRevocation(redis, { user_id: 'user_missed', not_before: now }, 600)
    let status = 200
    for (let i = 0; i < 40 && status === 200; i++) {
      await new Promise((r) => setTimeout(r, 250))
      status = (await call(h.url, '/api/auth/me', nextIp(), { authorization: `Bearer ${token}` })).status
    }
    t.equal(status, 401, 'refused within seconds, without any event')
  })

  t.test('a gateway that starts after a revocation still refuses the token', async (t) => {
    const now = Math.floor(Date.now() / 1000)
    await recordRevocation(redis, { user_id: 'user_late', not_before: now }, 600)
    const h = await gatewayHarness(t, env)
    const res = await call(h.url, '/api/auth/me', nextIp(), { authorization: `Bearer ${h.token({ sub: 'user_late', iat: now - 5 })}` })
    t.equal(res.status, 401)
    t.equal(res.body['code'], 'GW_TOKEN_REVOKED')
  })
})

t.test('Redis down: no hang, fail mode honoured, automatic recovery', async (t) => {
  const server = await OwnedRedis.start()
  t.teardown(() => server.stop())
  const common = { REDIS_URL: server.url, TRUST_PROXY: '127.0.0.1', RATE_LIMIT_AUTH: '3' }
  const open = await gatewayHarness(t, { ...common, RATE_LIMIT_FAIL_MODE: 'open' })
  const closed = await gatewayHarness(t, { ...common, RATE_LIMIT_FAIL_MODE: 'closed' })
  const ip = nextIp()
  t.equal((await call(open.url, '/api/auth/login', ip, {}, 'POST')).status, 200)
  await server.stop()

  const timed = async (url: string) => {
    const start = Date.now()
    const r = await call(url, '/api/auth/login', ip, {}, 'POST')
    return { ...r, ms: Date.now() - start }
  }
  const statuses: number[] = []
  for (let i = 0; i < 4; i++) {
    const r = await timed(open.url)
    t.ok(r.ms < 1000, `open mode answers in ${r.ms} ms while Redis is down`)
    statuses.push(r.status)
  }
  t.same(statuses, [200, 200, 200, 429], 'open: local in-memory limits still apply')
  t.ok(open.gateway.limiter.stats.fallbacks >= 4, 'fallbacks are counted')
  const c = await timed(closed.url)
  t.equal(c.status, 503, 'closed: refused')
  t.equal(c.body['code'], 'GW_RATE_LIMIT_UNAVAILABLE')
  t.ok(c.ms < 1000, `closed mode answers in ${c.ms} ms`)

  await server.start()
  const redis = new Redis(server.url)
  t.teardown(() => redis.disconnect())
  const ip2 = nextIp()
  let recovered = false
  for (let i = 0; i < 40 && !recovered; i++) {
    const r = await call(closed.url, '/api/auth/login', ip2, {}, 'POST')
    recovered = r.status === 200
    if (!recovered) await new Promise((res) => setTimeout(res, 250))
  }
  t.ok(recovered, 'closed mode serves again once Redis is back')
  t.ok(Number(await redis.get(`ratelimit:auth:${ip2}`)) >= 1, 'and counts in Redis again')
})
