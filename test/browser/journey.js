/* global window, location, URLSearchParams, WebSocket */
// Runs inside the browser page, as the ClaraVerse web client would: every call goes to the
// gateway on another origin with `credentials: 'include'`, the refresh token lives only in the
// HttpOnly cookie, and the chat socket carries the access token as a `bearer.<jwt>` subprotocol.
// Each step records what the page could observe; the test reads `window.__results`.

const params = new URLSearchParams(location.search)
const gateway = params.get('gateway')
const email = params.get('email')
const password = params.get('password')
// Only for the page that cannot sign in: a token handed over by the test, so that its socket
// is refused for its Origin and not merely for lacking a token.
const givenToken = params.get('token')

const results = { origin: location.origin, done: false }

async function call(method, path, body, credentials = 'include') {
  const init = { method, credentials }
  if (body !== undefined) {
    init.headers = { 'content-type': 'application/json' } // not a "simple" request: preflighted
    init.body = JSON.stringify(body)
  }
  try {
    const res = await fetch(gateway + path, init)
    let json = null
    try { json = await res.json() } catch { /* not JSON */ }
    return { ok: true, status: res.status, body: json }
  } catch (err) {
    return { ok: false, error: `${err.name}: ${err.message}` }
  }
}

function chat(token) {
  return new Promise((resolve) => {
    const out = { opened: false, protocol: null, events: [], errored: false, closeCode: null }
    const protocols = ['claraverse.v1', ...(token ? [`bearer.${token}`] : [])]
    const ws = new WebSocket(`${gateway.replace(/^http/, 'ws')}/ws/chat`, protocols)
    const timer = setTimeout(() => { out.timedOut = true; ws.close(); resolve(out) }, 8000)
    ws.onopen = () => { out.opened = true; out.protocol = ws.protocol }
    ws.onerror = () => { out.errored = true }
    ws.onmessage = (ev) => {
      const msg = JSON.parse(ev.data)
      out.events.push(msg)
      if (msg.type === 'connected') ws.send(JSON.stringify({ type: 'chat_message', conversation_id: 'browser-1', content: 'hello from the browser' }))
      if (msg.type === 'stream_end' || msg.type === 'error') ws.close(1000)
    }
    ws.onclose = (ev) => { out.closeCode = ev.code; clearTimeout(timer); resolve(out) }
  })
}

async function run() {
  results.status = await call('GET', '/api/auth/status')
  results.register = await call('POST', '/api/auth/register', { email, password })
  results.login = await call('POST', '/api/auth/login', { email, password })
  // The same refresh without cookies: whatever works below works because of the cookie.
  results.refreshWithoutCookie = await call('POST', '/api/auth/refresh', {}, 'omit')
  // No token in the body: only the HttpOnly cookie set by login can make this succeed.
  results.refresh = await call('POST', '/api/auth/refresh', {})
  const token = results.refresh.body?.access_token ?? givenToken
  results.chat = await chat(token)
}

run().catch((err) => { results.crashed = String(err) }).finally(() => {
  results.done = true
  window.__results = results
})
