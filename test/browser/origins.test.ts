import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { BrowserContext } from 'playwright-core'
import { cleanEnv, spawnNode, type Spawned } from '../helpers/spawn.js'
import { launchChromium, needChromium, servePage } from './chromium.js'

// A real browser in front of the real system (`claraverse start` as a child process): CORS,
// the refresh cookie and the WebSocket Origin check only mean something where a browser
// enforces them. The page script is journey.js; its results are what the page could observe.

const bin = resolve('packages/cli/dist/bin.js')
const password = 'a sturdy passphrase'

interface Call { ok: boolean; status?: number; body?: Record<string, unknown> | null; error?: string }
interface Chat {
  opened: boolean
  protocol: string | null
  events: Array<Record<string, unknown>>
  errored: boolean
  closeCode: number | null
  timedOut?: boolean
}
interface Results {
  origin: string
  status: Call
  register: Call
  login: Call
  refreshWithoutCookie: Call
  refresh: Call
  chat: Chat
  crashed?: string
}

/** Opens the page and waits for journey.js to publish what it saw. */
async function runPage(context: BrowserContext, url: string): Promise<Results> {
  const page = await context.newPage()
  const messages: string[] = []
  page.on('console', (m) => { messages.push(m.text()) })
  page.on('pageerror', (e) => { messages.push(`pageerror: ${e.message}`) })
  try {
    await page.goto(url)
    await page.waitForFunction('window.__results !== undefined', undefined, { timeout: 15_000 })
      .catch((err: Error) => { throw new Error(`${err.message}; page console: ${messages.join(' | ')}`) })
    const results = await page.evaluate('window.__results') as Results
    if (results.crashed !== undefined) throw new Error(`page script crashed: ${results.crashed}; page console: ${messages.join(' | ')}`)
    return results
  } finally {
    await page.close()
  }
}

const claims = (jwt: unknown): Record<string, unknown> =>
  JSON.parse(Buffer.from(String(jwt).split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>

interface LogLine { name?: string; msg?: string; code?: string; status?: number; req?: { method?: string; url?: string } }

/** What the system's request logs (LOG_LEVEL=info, one JSON line each) say reached each service. */
function serverLog(proc: Spawned, directUrl: string): {
  /** Requests a service logged for `path` (query ignored), or for exactly that URL when `exact`. */
  received: (service: string, method: string, path: string, exact?: boolean) => number
  refused: (code: string) => number
  settle: () => Promise<void>
} {
  const lines = (): LogLine[] => proc.stdout().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LogLine)
  let probes = 0
  return {
    received: (service, method, path, exact = false) => lines().filter((l) => l.name === service && l.msg === 'incoming request' &&
      l.req?.method === method && (exact ? l.req.url : l.req.url?.split('?', 1)[0]) === path).length,
    refused: (code) => lines().filter((l) => l.name === 'gateway' && l.msg === 'request refused' && l.code === code).length,
    // Logs arrive through a pipe: once a marker request has passed gateway and auth and been
    // logged by auth, every line written before it has arrived too.
    settle: async () => {
      const n = ++probes
      await (await fetch(`${directUrl}/api/auth/status?log_marker=${n}`)).arrayBuffer()
      await proc.waitFor(new RegExp(`"name":"auth".*log_marker=${n}\\b`), 5000)
    },
  }
}

t.test('a browser page on an allowed origin signs in, refreshes by cookie and chats; a page on another origin is blocked', async (t) => {
  if (!(await needChromium(t))) return
  const dataDir = mkdtempSync(join(tmpdir(), 'cv-browser-'))
  const [allowedPort, deniedPort] = await Promise.all([servePage(t), servePage(t)])
  // Two origins: `localhost` is the same *site* as the gateway below (ports do not count for
  // SameSite), `127.0.0.1` is another site altogether.
  const allowedOrigin = `http://localhost:${allowedPort}`
  const deniedOrigin = `http://127.0.0.1:${deniedPort}`
  const proc = spawnNode(bin, ['start'], cleanEnv({ PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'info', ALLOWED_ORIGINS: allowedOrigin }))
  t.teardown(async () => {
    if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGKILL')
    await proc.exited
    rmSync(dataDir, { recursive: true, force: true })
  })
  const [[, directUrl, gatewayPort], browser] = await Promise.all([
    proc.waitFor(/running at (http:\/\/127\.0\.0\.1:(\d+))/),
    launchChromium(t),
  ])
  const gateway = `http://localhost:${gatewayPort!}` // what the pages call
  const log = serverLog(proc, directUrl!)
  // One browser profile for both pages: the user is signed in when the other site's page runs.
  const context = await browser.newContext()
  const pageUrl = (origin: string, email: string, token?: string): string =>
    `${origin}/?${new URLSearchParams({ gateway, email, password, ...(token !== undefined ? { token } : {}) }).toString()}`

  let aliceToken = ''

  await t.test('allowed origin: register, login, cookie-only refresh and a streamed chat', async (t) => {
    const r = await runPage(context, pageUrl(allowedOrigin, 'alice@example.com'))
    t.equal(r.origin, allowedOrigin)
    t.same(r.status, { ok: true, status: 200, body: { has_users: false } }, 'a credentialed GET is readable')
    t.match(r.register, { ok: true, status: 201, body: { access_token: String, user: { email: 'alice@example.com', role: 'admin' } } })
    t.match(r.login, { ok: true, status: 200, body: { access_token: String, refresh_token: String } })
    t.match(r.refreshWithoutCookie, { ok: true, status: 401, body: { code: 'AUTH_INVALID_REFRESH_TOKEN' } },
      'without the cookie, an empty refresh is refused (and the page may read the refusal)')
    t.match(r.refresh, { ok: true, status: 200, body: { access_token: String, refresh_token: String, expires_in: Number } },
      'with only the cookie, the refresh succeeds')
    const loginSid = claims(r.login.body?.['access_token'])['sid']
    t.equal(claims(r.refresh.body?.['access_token'])['sid'], loginSid, 'the cookie refreshed the session the login opened')
    t.not(claims(r.register.body?.['access_token'])['sid'], loginSid, 'register and login are separate sessions')
    t.not(r.refresh.body?.['refresh_token'], r.login.body?.['refresh_token'], 'the refresh token rotated')

    const cookies = (await context.cookies(`${gateway}/api/auth/refresh`)).filter((c) => c.name === 'refresh_token')
    t.equal(cookies.length, 1, 'the browser holds one refresh cookie for the gateway')
    t.match(cookies[0], { domain: 'localhost', path: '/api/auth', httpOnly: true, secure: false, sameSite: 'Strict' },
      'HttpOnly (page scripts never see it), SameSite=Strict, only for /api/auth, not Secure over http')
    t.equal(cookies[0]?.value, r.refresh.body?.['refresh_token'], 'the cookie was rotated with the refresh')
    t.equal((await context.cookies(`${gateway}/api/chats`)).length, 0, 'the cookie is not sent beyond /api/auth')

    t.equal(r.chat.opened, true, 'the socket opened')
    t.equal(r.chat.protocol, 'claraverse.v1', 'the gateway answered our subprotocol, not the token one')
    t.same(r.chat.events[0], { type: 'connected' })
    const chunks = r.chat.events.filter((e) => e['type'] === 'stream_chunk')
    t.ok(chunks.length > 1, 'the answer arrived in several chunks')
    t.ok(chunks.every((c) => c['conversation_id'] === 'browser-1'))
    t.equal(chunks.map((c) => c['content']).join(''), 'Echo: hello from the browser')
    t.same(r.chat.events.at(-1), { type: 'stream_end', conversation_id: 'browser-1' })
    t.equal(r.chat.closeCode, 1000)

    aliceToken = String(r.refresh.body?.['access_token'])
    const me = await fetch(`${directUrl!}/api/auth/me`, { headers: { authorization: `Bearer ${aliceToken}` } })
    t.equal(me.status, 200, 'the token the browser got by cookie refresh works')
    t.match(await me.json(), { email: 'alice@example.com' })
    await log.settle()
    t.equal(log.received('auth', 'POST', '/api/auth/register'), 1, 'auth saw the registration')
    t.equal(log.received('app', 'GET', '/ws/chat'), 1, 'app saw the socket')
  })

  await t.test('another origin: every fetch fails in the browser, the socket never opens, nothing reaches the services', async (t) => {
    t.ok(aliceToken, 'needs the allowed page to have run')
    await log.settle()
    const before = {
      options: ['register', 'login', 'refresh'].map((p) => log.received('gateway', 'OPTIONS', `/api/auth/${p}`)),
      posts: ['register', 'login', 'refresh'].map((p) => log.received('gateway', 'POST', `/api/auth/${p}`)),
      authPosts: ['register', 'login', 'refresh'].map((p) => log.received('auth', 'POST', `/api/auth/${p}`)),
      sockets: log.received('app', 'GET', '/ws/chat'),
      statusReads: log.received('auth', 'GET', '/api/auth/status', true),
      originRefusals: log.refused('GW_ORIGIN_FORBIDDEN'),
    }
    // The other site's page even holds a valid token, so its socket can only fail for its Origin.
    const r = await runPage(context, pageUrl(deniedOrigin, 'mallory@example.com', aliceToken))
    t.equal(r.origin, deniedOrigin)
    const blocked = { ok: false, error: 'TypeError: Failed to fetch' }
    t.same(r.status, blocked, 'even a simple GET is unreadable')
    t.same(r.register, blocked, 'register is blocked')
    t.same(r.login, blocked, 'login is blocked')
    t.same(r.refreshWithoutCookie, blocked)
    t.same(r.refresh, blocked, 'the cookie refresh is blocked')
    t.match(r.chat, { opened: false, errored: true, closeCode: 1006, events: [] }, 'the socket errored without opening')
    t.notOk(r.chat.timedOut)

    await log.settle()
    const paths = ['register', 'login', 'refresh']
    paths.forEach((p, i) => {
      t.ok(log.received('gateway', 'OPTIONS', `/api/auth/${p}`) > before.options[i]!, `the ${p} preflight reached the gateway`)
      t.equal(log.received('gateway', 'POST', `/api/auth/${p}`), before.posts[i], `the ${p} POST itself was never sent`)
      t.equal(log.received('auth', 'POST', `/api/auth/${p}`), before.authPosts[i], `auth never saw a ${p}`)
    })
    t.equal(log.received('auth', 'GET', '/api/auth/status', true), before.statusReads + 1,
      'the simple GET did reach auth: CORS only hid the answer, which is why state changes must be preflighted')
    t.equal(log.refused('GW_ORIGIN_FORBIDDEN'), before.originRefusals + 1, 'the gateway refused the upgrade for its Origin')
    t.equal(log.received('app', 'GET', '/ws/chat'), before.sockets, 'no socket reached app')

    const json = { 'content-type': 'application/json' }
    const mallory = await fetch(`${directUrl!}/api/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ email: 'mallory@example.com', password }) })
    t.equal(mallory.status, 401, 'the account the other page tried to register does not exist')
    const cookies = (await context.cookies(`${gateway}/api/auth/refresh`)).filter((c) => c.name === 'refresh_token')
    t.equal(cookies.length, 1, 'alice\'s refresh cookie is still there')
    const refreshed = await fetch(`${directUrl!}/api/auth/refresh`, { method: 'POST', headers: json, body: JSON.stringify({ refresh_token: cookies[0]?.value }) })
    t.equal(refreshed.status, 200, 'and still valid: the other page could not use or spend it')
  })
})
