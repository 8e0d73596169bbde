import type { Test } from 'tap'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { LightMyRequestResponse } from 'fastify'
import { loadAuthConfig, type AuthConfig, type Env } from '@claraverse/config'
import { createAssertionSigner, createAssertionVerifier, IDENTITY_HEADER } from '@claraverse/identity'
import { createLogger } from '@claraverse/logging'
import { createMemoryBus, type Bus, type Channel } from '@claraverse/bus'
import { openStore, type Store } from '@claraverse/store'
import { buildApp } from '@claraverse/auth'
import type { Service } from '@claraverse/service-kit'

export interface Harness {
  app: Service
  config: AuthConfig
  store: Store
  bus: Bus
  /** Every event published on the bus, in order (call `flush` first: delivery is asynchronous). */
  events: Array<{ channel: string; event: unknown }>
  flush(): Promise<void>
  env: Env
  /** Headers the gateway would add for the holder of this access token. */
  as(accessToken: string, audience?: string[]): Record<string, string>
  register(email: string, password?: string): Promise<LightMyRequestResponse>
  login(email: string, password?: string, ip?: string): Promise<LightMyRequestResponse>
}

export const PASSWORD = 'a sturdy passphrase 42'

export function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>
}

/** An auth service on a fresh store, with the gateway's signing role played by the test. */
export async function authHarness(t: Test, opts: { env?: Env; store?: () => Promise<Store> } = {}): Promise<Harness> {
  const keys = generateKeyPairSync('ed25519')
  const dataDir = mkdtempSync(join(tmpdir(), 'cv-auth-'))
  const env: Env = { ENVIRONMENT: 'test', DATA_DIR: dataDir, ARGON2_MEMORY_KIB: '8192', ARGON2_TIME_COST: '1', LOG_LEVEL: 'silent', ...opts.env }
  const config = loadAuthConfig(env)
  const store = opts.store ? await opts.store() : await openStore({ service: 'auth', dataDir })
  const bus = createMemoryBus(createLogger({ name: 'bus', level: 'silent' }))
  const events: Harness['events'] = []
  for (const channel of ['auth.revoked', 'auth.user.deleted'] as Channel[]) {
    await bus.subscribe(channel, (event) => { events.push({ channel, event }) })
  }
  const app = await buildApp(config, {
    logger: createLogger({ name: 'auth', level: 'silent' }),
    verifier: createAssertionVerifier({ audience: 'auth', publicKeys: [keys.publicKey] }),
    store, bus, redis: null,
  })
  t.teardown(async () => { await app.close(); await bus.close(); await store.close() })
  const signer = createAssertionSigner({ privateKey: keys.privateKey })
  const as = (accessToken: string, audience = ['auth']): Record<string, string> => {
    const c = claimsOf(accessToken)
    return { [IDENTITY_HEADER]: signer.sign({ sub: String(c['sub']), email: String(c['email']), role: c['role'] === 'admin' ? 'admin' : 'user', sid: String(c['sid']) }, audience) }
  }
  return {
    app, config, store, bus, events, env, as,
    flush: () => new Promise((r) => setTimeout(r, 20)),
    register: (email, password = PASSWORD) => app.inject({ method: 'POST', url: '/api/auth/register', payload: { email, password } }),
    login: (email, password = PASSWORD, ip = '127.0.0.1') => app.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password }, remoteAddress: ip }),
  }
}

/** The value of the refresh_token cookie a response set, if any. */
export function refreshCookie(res: LightMyRequestResponse): { value: string; attributes: string } | undefined {
  const raw = res.headers['set-cookie']
  const list = Array.isArray(raw) ? raw : raw ? [raw] : []
  const c = list.find((s) => s.startsWith('refresh_token='))
  if (!c) return undefined
  const [pair = '', ...attrs] = c.split(';')
  return { value: decodeURIComponent(pair.slice('refresh_token='.length)), attributes: attrs.join(';') }
}
