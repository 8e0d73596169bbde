import t from 'tap'
import { createPublicKey, generateKeyPairSync, sign as edSign, type KeyObject } from 'node:crypto'
import { createSigner } from 'fast-jwt'
import {
  createAssertionSigner, createAssertionVerifier, jwksDocument, keysFromJwks, keyId, requireIdentity,
  IDENTITY_HEADER, type Identity,
} from '@claraverse/identity'
import { createLogger } from '@claraverse/logging'
import { createService } from '@claraverse/service-kit'

const pair = (): { privateKey: KeyObject; publicKey: KeyObject } => generateKeyPairSync('ed25519')
const gateway = pair()
const alice: Identity = { sub: 'user_alice', email: 'alice@example.com', role: 'user', sid: 'sid_1' }
const verifierFor = (audience: string, keys = [gateway.publicKey]) => createAssertionVerifier({ audience, publicKeys: keys })
const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url')

t.test('a signed assertion verifies for a service in its audience', async (t) => {
  const token = createAssertionSigner({ privateKey: gateway.privateKey }).sign(alice, ['app', 'vault'])
  const [header] = token.split('.')
  t.same(JSON.parse(Buffer.from(header!, 'base64url').toString()), { alg: 'EdDSA', typ: 'identity+jwt', kid: keyId(gateway.publicKey) })
  const id = await verifierFor('vault').verify(token)
  t.equal(id.sub, 'user_alice')
  t.equal(id.role, 'user')
  t.equal(id.sid, 'sid_1')
  t.same(id.aud, ['app', 'vault'])
  t.equal(id.exp - (id as unknown as { iat: number }).iat, 60)
  t.equal((id as unknown as { iss: string }).iss, 'claraverse-gateway')
})

t.test('rejections', async (t) => {
  const signer = createAssertionSigner({ privateKey: gateway.privateKey })
  const good = signer.sign(alice, ['app'])
  const reject = async (name: string, token: string, audience = 'app', keys = [gateway.publicKey]): Promise<void> => {
    await t.rejects(verifierFor(audience, keys).verify(token), { code: 'IDENTITY_INVALID', statusCode: 401 }, name)
  }
  await reject('wrong audience', good, 'vault')
  await reject('wrong key', good, 'app', [pair().publicKey])
  const otherSigner = createAssertionSigner({ privateKey: pair().privateKey })
  await reject('signed by another key', otherSigner.sign(alice, ['app']))

  const past = Date.now() - 120_000
  const expired = createAssertionSigner({ privateKey: gateway.privateKey, now: () => past }).sign(alice, ['app'])
  await reject('expired', expired)

  const [h, p, s] = good.split('.') as [string, string, string]
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>
  await reject('tampered payload (role)', `${h}.${b64({ ...payload, role: 'admin' })}.${s}`)
  await reject('tampered payload (sub)', `${h}.${b64({ ...payload, sub: 'user_bob' })}.${s}`)
  await reject('alg none', `${b64({ alg: 'none', typ: 'identity+jwt', kid: keyId(gateway.publicKey) })}.${p}.`)
  await reject('alg none without signature part', `${b64({ alg: 'none', typ: 'identity+jwt', kid: keyId(gateway.publicKey) })}.${p}`)

  // HS256 keyed with the public key's PEM: the classic algorithm-confusion attack.
  const pem = gateway.publicKey.export({ format: 'pem', type: 'spki' }).toString()
  const hs = createSigner({ key: pem, algorithm: 'HS256', header: { alg: 'HS256', typ: 'identity+jwt', kid: keyId(gateway.publicKey) } })
  await reject('HS256 with the public key as secret', hs({ ...payload }))

  // A properly signed token that is not an identity assertion.
  const signRaw = (header: object, body: object): string => {
    const input = `${b64(header)}.${b64(body)}`
    return `${input}.${edSign(null, Buffer.from(input), gateway.privateKey).toString('base64url')}`
  }
  const kid = keyId(gateway.publicKey)
  await reject('wrong typ', signRaw({ alg: 'EdDSA', typ: 'JWT', kid }, payload))
  await reject('wrong issuer', signRaw({ alg: 'EdDSA', typ: 'identity+jwt', kid }, { ...payload, iss: 'someone' }))
  await reject('missing sid', signRaw({ alg: 'EdDSA', typ: 'identity+jwt', kid }, { ...payload, sid: undefined }))
  await reject('bad role', signRaw({ alg: 'EdDSA', typ: 'identity+jwt', kid }, { ...payload, role: 'root' }))
  await reject('unknown kid', signRaw({ alg: 'EdDSA', typ: 'identity+jwt', kid: 'nope' }, payload))
  await reject('garbage', 'not.a.jwt')
  await reject('empty', '')
  t.ok(await verifierFor('app').verify(signRaw({ alg: 'EdDSA', typ: 'identity+jwt', kid }, payload)), 'the raw signer itself is sound')
})

t.test('the signer reuses an assertion for half its life, then signs a new one', async (t) => {
  let now = 1_800_000_000_000
  const signer = createAssertionSigner({ privateKey: gateway.privateKey, now: () => now })
  const first = signer.sign(alice, ['app'])
  now += 29_000
  t.equal(signer.sign(alice, ['app']), first, 'reused within 30 s')
  t.not(signer.sign(alice, ['app', 'vault']), first, 'another audience gets its own')
  t.not(signer.sign({ ...alice, role: 'admin' }, ['app']), first, 'a role change gets its own')
  now += 2_000
  t.not(signer.sign(alice, ['app']), first, 'renewed after half its lifetime')
})

t.test('a remembered assertion still expires', async (t) => {
  const verifier = createAssertionVerifier({ audience: 'app', publicKeys: [gateway.publicKey] })
  // Issued 59 s ago: at most a second of life left (iat is whole seconds), and at least some.
  const token = createAssertionSigner({ privateKey: gateway.privateKey, now: () => Date.now() - 59_000 }).sign(alice, ['app'])
  t.equal((await verifier.verify(token)).sub, 'user_alice')
  t.equal((await verifier.verify(token)).sub, 'user_alice', 'the second check comes from memory')
  await new Promise((r) => setTimeout(r, 1100))
  await t.rejects(verifier.verify(token), { code: 'IDENTITY_INVALID' }, 'past exp, memory does not help')
})

t.test('JWKS round trip', async (t) => {
  const doc = jwksDocument([gateway.publicKey])
  t.equal(doc.keys.length, 1)
  t.same(Object.keys(doc.keys[0]!).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x'], 'public parts only')
  const [key] = keysFromJwks(JSON.parse(JSON.stringify(doc)))
  t.equal(keyId(key!), keyId(gateway.publicKey))
  const token = createAssertionSigner({ privateKey: gateway.privateKey }).sign(alice, ['auth'])
  t.equal((await createAssertionVerifier({ audience: 'auth', publicKeys: [key!] }).verify(token)).sub, 'user_alice')
  t.throws(() => keysFromJwks({}), /no keys/)
  t.same(keysFromJwks({ keys: [{ kty: 'RSA', n: 'x', e: 'AQAB' }] }), [], 'non-Ed25519 keys are ignored')
  t.equal(keyId(gateway.privateKey), keyId(createPublicKey(gateway.privateKey)))
})

t.test('the Fastify plugin requires the assertion and exposes the identity', async (t) => {
  const app = createService({ name: 'vault', logger: createLogger({ name: 'vault', level: 'silent' }) })
  await app.register(requireIdentity, { verifier: verifierFor('vault') })
  app.get('/whoami', async (request) => ({ sub: request.identity.sub, assertion: request.identityAssertion.length > 0 }))
  app.get('/open', { config: { identity: false } }, async (request) => {
    try {
      return { sub: request.identity.sub }
    } catch (err) {
      return { refused: (err as { code: string }).code }
    }
  })
  const signer = createAssertionSigner({ privateKey: gateway.privateKey })
  const ok = await app.inject({ url: '/whoami', headers: { [IDENTITY_HEADER]: signer.sign(alice, ['vault']) } })
  t.equal(ok.statusCode, 200)
  t.same(ok.json(), { sub: 'user_alice', assertion: true })

  const missing = await app.inject({ url: '/whoami' })
  t.equal(missing.statusCode, 401)
  t.equal(missing.json().code, 'IDENTITY_REQUIRED')
  t.ok(missing.json().request_id)

  const forged = await app.inject({ url: '/whoami', headers: { 'x-user-id': 'user_admin', 'x-user-role': 'admin' } })
  t.equal(forged.statusCode, 401, 'x-user-* headers are never read')

  const wrongAud = await app.inject({ url: '/whoami', headers: { [IDENTITY_HEADER]: signer.sign(alice, ['app']) } })
  t.equal(wrongAud.statusCode, 401)
  t.equal(wrongAud.json().code, 'IDENTITY_INVALID')

  t.same((await app.inject({ url: '/open' })).json(), { refused: 'IDENTITY_REQUIRED' }, 'an exempt route cannot read an identity')
  t.equal((await app.inject({ url: '/health' })).statusCode, 200, 'health needs no assertion')
  await app.close()
})
