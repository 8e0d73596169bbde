import t from 'tap'
import { createLogger, redactUrl } from '@claraverse/logging'
import { createService } from '@claraverse/service-kit'
import { logCapture } from '../helpers/log-capture.js'

const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyX2FiYyJ9.c2lnbmF0dXJlLXNlY3JldA'

t.test('redactUrl removes token-bearing query parameters only', async (t) => {
  t.equal(redactUrl(`/ws/chat?token=${jwt}&room=1`), '/ws/chat?token=[REDACTED]&room=1')
  t.equal(redactUrl(`/x?a=1&access_token=${jwt}`), '/x?a=1&access_token=[REDACTED]')
  t.equal(redactUrl('/x?tokens=1&notoken=2'), '/x?tokens=1&notoken=2')
  t.equal(redactUrl(`/ws/chat?%74oken=${jwt}`), '/ws/chat?%74oken=[REDACTED]', 'an encoded name is still the token')
  t.equal(redactUrl(`/ws/chat?TOKEN=${jwt}&x=%zz`), '/ws/chat?TOKEN=[REDACTED]&x=%zz', 'case and bad escapes elsewhere')
})

t.test('credentials in objects are censored at any of the first levels', async (t) => {
  const cap = logCapture()
  const log = createLogger({ name: 't', destination: cap.stream })
  log.info({ password: 'hunter2-secret', body: { refresh_token: jwt, new_password: 'correct horse' }, user: { credentials: { api_key: 'sk-live-123' } } }, 'event')
  const out = cap.text()
  for (const secret of ['hunter2-secret', jwt, 'correct horse', 'sk-live-123']) t.notMatch(out, secret)
  t.match(out, '[REDACTED]')
})

t.test('a token sent to a service never reaches its log', async (t) => {
  const cap = logCapture()
  const app = createService({ name: 't', logger: createLogger({ name: 't', level: 'trace', destination: cap.stream }) })
  app.post('/echo', async (request) => {
    request.log.info({ headers: request.headers, body: request.body }, 'handler saw the request')
    return { ok: true }
  })
  const res = await app.inject({
    method: 'POST',
    url: `/echo?token=${jwt}`,
    headers: {
      authorization: `Bearer ${jwt}`,
      cookie: `refresh_token=${jwt}`,
      'sec-websocket-protocol': `claraverse.v1, bearer.${jwt}`,
      'x-identity': jwt,
      'content-type': 'application/json',
    },
    payload: { password: 'hunter2-secret', refresh_token: jwt },
  })
  t.equal(res.statusCode, 200)
  await app.close()
  const out = cap.text()
  t.ok(out.includes('handler saw the request'), 'the line was written')
  t.ok(out.includes('/echo?token=[REDACTED]'), 'the URL is logged without its token')
  t.notOk(out.includes(jwt), 'the token appears nowhere in the log')
  t.notOk(out.includes('hunter2-secret'), 'the password appears nowhere in the log')
  t.notOk(out.includes('c2lnbmF0dXJlLXNlY3JldA'), 'not even the signature part')
})
