import t from 'tap'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Fastify from 'fastify'
import { loadAppConfig } from '@claraverse/config'
import { createAssertionSigner, createAssertionVerifier, IDENTITY_HEADER } from '@claraverse/identity'
import { createLogger } from '@claraverse/logging'
import { buildApp } from '@claraverse/app'

t.test('calls to the vault carry the user\'s assertion, the request id and the trace context', async (t) => {
  const seen: Array<Record<string, unknown>> = []
  const vault = Fastify()
  vault.post('/v1/encrypt', async (request) => {
    seen.push({ ...request.headers })
    return { items: (request.body as { items: unknown[] }).items.map(() => ({ ciphertext: 'cv1.1.AAAA' })) }
  })
  const vaultUrl = await vault.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => vault.close())
  const keys = generateKeyPairSync('ed25519')
  const app = await buildApp(loadAppConfig({ ENVIRONMENT: 'test', DATA_DIR: mkdtempSync(join(tmpdir(), 'cv-trace-')), VAULT_URL: vaultUrl }), {
    logger: createLogger({ name: 'app', level: 'silent' }),
    verifier: createAssertionVerifier({ audience: 'app', publicKeys: [keys.publicKey] }),
  })
  t.teardown(() => app.close())
  const assertion = createAssertionSigner({ privateKey: keys.privateKey }).sign({ sub: 'user_t', email: 't@x.com', role: 'user', sid: 's' }, ['app', 'vault'])
  const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
  const res = await app.inject({
    method: 'POST', url: '/api/integrations',
    headers: { [IDENTITY_HEADER]: assertion, traceparent, 'x-request-id': 'req-trace-1' },
    payload: { provider: 'openai', name: 'k', credentials: { api_key: 'sk-0123456789abcdef' } },
  })
  t.equal(res.statusCode, 201)
  t.match(seen[0], { [IDENTITY_HEADER]: assertion, 'x-request-id': 'req-trace-1' })
  t.match(seen[0]?.['traceparent'], /^00-4bf92f3577b34da6a3ce929d0e0e4736-(?!00f067aa0ba902b7)[0-9a-f]{16}-01$/, 'the same trace, under the app\'s own span')
})
