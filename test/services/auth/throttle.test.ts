import t from 'tap'
import { lockSeconds, ACCOUNT_POLICY } from '@claraverse/auth'
import { authHarness, PASSWORD } from './harness.js'

t.test('the lock grows with each failure past the free ones, up to a cap', async (t) => {
  t.same([1, 5, 6, 7, 8, 9, 20, 40].map((n) => lockSeconds(n, ACCOUNT_POLICY)), [0, 0, 1, 2, 4, 8, 900, 900])
})

t.test('repeated failures throttle the account with 429 and Retry-After, for known and unknown emails alike', async (t) => {
  const h = await authHarness(t)
  await h.register('mia@example.com')
  const attempt = (email: string, password = 'wrong password!', ip = '10.0.0.1') => h.login(email, password, ip)
  for (let i = 0; i < 5; i++) t.equal((await attempt('mia@example.com')).statusCode, 401, `free attempt ${i + 1}`)
  for (let i = 0; i < 5; i++) t.equal((await attempt('ghost@example.com', 'wrong password!', '10.0.0.2')).statusCode, 401)
  t.equal((await attempt('mia@example.com', 'wrong password!', '10.0.0.3')).statusCode, 401, 'the 6th failure is still an answer, and locks')
  t.equal((await attempt('ghost@example.com', 'wrong password!', '10.0.0.4')).statusCode, 401)
  const known = await attempt('mia@example.com', PASSWORD, '10.0.0.5')
  const unknown = await attempt('ghost@example.com', PASSWORD, '10.0.0.6')
  for (const res of [known, unknown]) {
    t.equal(res.statusCode, 429, 'locked: even the right password waits')
    t.match(res.headers['retry-after'], /^\d+$/)
    t.same(Object.keys(res.json()).sort(), ['code', 'error', 'request_id', 'retry_after'])
  }
  t.same(known.json().error, unknown.json().error, 'the same words whether or not the account exists')
  t.equal(known.json().code, unknown.json().code)
  const metrics = await h.app.metrics.registry.metrics()
  for (const [reason, n] of [['wrong_password', 6], ['unknown_email', 6], ['throttled', 2]] as const) {
    t.match(metrics, new RegExp(`auth_login_failures_total\\{reason="${reason}",service="auth"\\} ${n}\\n`), `${n} logins refused as ${reason}`)
  }
  await new Promise((r) => setTimeout(r, 1100))
  t.equal((await attempt('mia@example.com', PASSWORD, '10.0.0.7')).statusCode, 200, 'after the delay, the right password works')
  t.equal((await attempt('mia@example.com', 'wrong password!', '10.0.0.8')).statusCode, 401, 'and success reset the account counter')
})

t.test('concurrent guesses cannot all slip past the throttle', async (t) => {
  const h = await authHarness(t)
  await h.register('ned@example.com')
  const results = await Promise.all(Array.from({ length: 40 }, (_, i) => h.login('ned@example.com', `wrong password ${i}`, `10.7.0.${i}`)))
  const counts = results.reduce<Record<number, number>>((acc, r) => ({ ...acc, [r.statusCode]: (acc[r.statusCode] ?? 0) + 1 }), {})
  t.ok((counts[401] ?? 0) <= 6, `at most the 5 free attempts and one locked slot were evaluated (${JSON.stringify(counts)})`)
  t.equal((counts[401] ?? 0) + (counts[429] ?? 0), 40)
})

t.test('successful logins from one address do not use up its attempts', async (t) => {
  const h = await authHarness(t)
  await h.register('ola@example.com')
  for (let i = 0; i < 25; i++) t.equal((await h.login('ola@example.com', undefined, '10.8.0.1')).statusCode, 200, `login ${i + 1}`)
})

t.test('one address failing across many accounts is throttled by IP', async (t) => {
  const h = await authHarness(t)
  for (let i = 0; i < 20; i++) await h.login(`spray${i}@example.com`, 'wrong password!', '10.9.9.9')
  await h.login('spray-last@example.com', 'wrong password!', '10.9.9.9')
  const res = await h.login('fresh@example.com', 'wrong password!', '10.9.9.9')
  t.equal(res.statusCode, 429)
  t.equal((await h.login('fresh@example.com', 'wrong password!', '10.9.9.10')).statusCode, 401, 'another address is unaffected')
})

t.test('an unknown email costs about as much as a known one (no timing oracle)', async (t) => {
  // Real default cost parameters: the point is what a production login spends.
  const h = await authHarness(t, { env: { ARGON2_MEMORY_KIB: '19456', ARGON2_TIME_COST: '2' } })
  await h.register('nia@example.com')
  await h.login('warmup@example.com', 'wrong password!', '10.1.0.1')
  const time = async (email: string, ip: string): Promise<number> => {
    const start = process.hrtime.bigint()
    await h.login(email, 'wrong password!', ip)
    return Number(process.hrtime.bigint() - start) / 1e6
  }
  const known: number[] = []
  const unknown: number[] = []
  for (let i = 0; i < 6; i++) {
    known.push(await time('nia@example.com', `10.2.0.${i}`))
    unknown.push(await time(`nobody${i}@example.com`, `10.3.0.${i}`))
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  const ratio = median(unknown) / median(known)
  t.comment(`median known ${median(known).toFixed(1)} ms, unknown ${median(unknown).toFixed(1)} ms, ratio ${ratio.toFixed(2)}`)
  t.ok(ratio > 0.5 && ratio < 2, `unknown/known ratio ${ratio.toFixed(2)} is within 2x`)
})
