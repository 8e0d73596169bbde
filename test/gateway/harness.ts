import type { Test } from 'tap'
import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Fastify, { type FastifyInstance } from 'fastify'
import websocket from '@fastify/websocket'
import { createSigner } from 'fast-jwt'
import { loadGatewayConfig, type Env, type GatewayConfig } from '@claraverse/config'
import { createAssertionVerifier, type VerifiedIdentity } from '@claraverse/identity'
import { createLogger } from '@claraverse/logging'
import { createMemoryBus, type Bus } from '@claraverse/bus'
import { buildApp, type Gateway } from '@claraverse/gateway'

export const SECRET = 'ab'.repeat(64)

export interface Seen {
  method: string
  url: string
  headers: Record<string, string | string[] | undefined>
  body: string
}

/** A stand-in upstream (auth or app) that records what reaches it, with a WebSocket echo. */
export async function stubUpstream(t: Test, name: string): Promise<{ url: string; seen: Seen[]; app: FastifyInstance; wsSeen: Seen[] }> {
  const seen: Seen[] = []
  const wsSeen: Seen[] = []
  const app = Fastify()
  await app.register(websocket, { options: { handleProtocols: (p: Set<string>) => (p.has('claraverse.v1') ? 'claraverse.v1' : false) } })
  app.get('/ws/chat', { websocket: true }, (socket, request) => {
    wsSeen.push({ method: 'GET', url: request.url, headers: { ...request.headers }, body: '' })
    socket.on('message', (m: Buffer) => socket.send(`echo:${m.toString()}`))
  })
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'string' }, (_r, body, done) => { done(null, body) })
  app.all('/*', async (request, reply) => {
    seen.push({ method: request.method, url: request.url, headers: { ...request.headers }, body: String(request.body ?? '') })
    if (request.url.startsWith('/api/auth/slow')) await new Promise((r) => setTimeout(r, 200))
    // An upstream that names a private hop-by-hop header in Connection (RFC 9110 §7.6.1).
    if (request.url.startsWith('/api/auth/hop')) reply.header('connection', 'x-secret-hop').header('x-secret-hop', 'internal').header('proxy-authenticate', 'Basic')
    reply.header('x-upstream', name)
    return { upstream: name, url: request.url }
  })
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => app.close())
  return { url, seen, app, wsSeen }
}

export interface GatewayHarness {
  gateway: Gateway
  url: string
  config: GatewayConfig
  /** The environment the config reads (SUPERADMIN_USER_IDS is read from it on every check). */
  env: Env
  bus: Bus
  auth: Awaited<ReturnType<typeof stubUpstream>>
  app: Awaited<ReturnType<typeof stubUpstream>>
  publicKey: KeyObject
  /** Verifies an x-identity header the way a service would. */
  identityOf(header: unknown, audience?: string): Promise<VerifiedIdentity>
  token(claims?: Record<string, unknown>, opts?: { secret?: string; algorithm?: 'HS256' | 'HS512'; expiresIn?: number }): string
}

export async function gatewayHarness(t: Test, env: Env = {}, opts: { bus?: Bus; listen?: boolean } = {}): Promise<GatewayHarness> {
  const auth = await stubUpstream(t, 'auth')
  const app = await stubUpstream(t, 'app')
  const keys = generateKeyPairSync('ed25519')
  const fullEnv: Env = {
    ENVIRONMENT: 'test', DATA_DIR: mkdtempSync(join(tmpdir(), 'cv-gw-')), JWT_SECRET: SECRET, LOG_LEVEL: 'silent',
    IDENTITY_SIGNING_KEY: keys.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    AUTH_URL: auth.url, APP_URL: app.url, ...env,
  }
  const config = loadGatewayConfig(fullEnv)
  const bus = opts.bus ?? createMemoryBus(createLogger({ name: 'bus', level: 'silent' }))
  const gateway = await buildApp(config, { logger: createLogger({ name: 'gateway', level: 'silent' }), bus })
  const url = await gateway.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(async () => { await gateway.close(); if (!opts.bus) await bus.close() })
  const sign = (secret: string, algorithm: 'HS256' | 'HS512', expiresIn: number) =>
    createSigner({ key: secret, algorithm, expiresIn: expiresIn * 1000, iss: 'claraverse-auth', aud: 'claraverse' })
  return {
    gateway, url, config, env: fullEnv, bus, auth, app, publicKey: keys.publicKey,
    identityOf: (header, audience = 'auth') => createAssertionVerifier({ audience, publicKeys: [keys.publicKey] }).verify(String(header)),
    token: (claims = {}, o = {}) => sign(o.secret ?? SECRET, o.algorithm ?? 'HS256', o.expiresIn ?? 900)({
      sub: 'user_alice', email: 'alice@example.com', role: 'user', sid: 'ses_1', typ: 'access', jti: randomUUID(), ...claims,
    }),
  }
}
