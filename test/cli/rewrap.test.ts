import t, { type Test } from 'tap'
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { main } from '@claraverse/cli'
import { loadAppConfig, loadVaultConfig, type Env } from '@claraverse/config'
import { createAssertionSigner, createAssertionVerifier, IDENTITY_HEADER } from '@claraverse/identity'
import { createLogger } from '@claraverse/logging'
import { buildApp as buildVault } from '@claraverse/vault'
import { buildApp as buildAppService, rewrapStale, VaultClient, type Caller } from '@claraverse/app'
import { openStore } from '@claraverse/store'

const keys = generateKeyPairSync('ed25519')
const signing = keys.privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64')
const signer = createAssertionSigner({ privateKey: keys.privateKey })
const OLD = randomBytes(32).toString('hex')
const NEW = randomBytes(32).toString('hex')

async function vault(t: Test, env: Env): Promise<string> {
  const v = await buildVault(loadVaultConfig({ ENVIRONMENT: 'test', DATA_DIR: mkdtempSync(join(tmpdir(), 'cv-rw-')), ...env }), {
    logger: createLogger({ name: 'vault', level: 'silent' }),
    verifier: createAssertionVerifier({ audience: 'vault', publicKeys: [keys.publicKey] }),
  })
  t.teardown(() => v.close())
  return v.listen({ host: '127.0.0.1', port: 0 })
}

/** The app service on the embedded store in `dataDir`, using the vault at `vaultUrl`. */
function appService(dataDir: string, vaultUrl: string): ReturnType<typeof buildAppService> {
  return buildAppService(loadAppConfig({ ENVIRONMENT: 'test', DATA_DIR: dataDir, VAULT_URL: vaultUrl }), {
    logger: createLogger({ name: 'app', level: 'silent' }),
    verifier: createAssertionVerifier({ audience: 'app', publicKeys: [keys.publicKey] }),
  })
}

/** A user's own assertion, as the gateway would sign it. */
const as = (sub: string) => ({ [IDENTITY_HEADER]: signer.sign({ sub, email: `${sub}@x.com`, role: 'user', sid: `s_${sub}` }, ['app', 'vault']) })

async function run(argv: string[], env: Env): Promise<{ code: number; out: string }> {
  let out = ''
  const code = await main(argv, { out: (s) => { out += s }, err: (s) => { out += s }, env })
  return { code, out }
}

t.test('vault rewrap moves every stored blob to the new key, so the old key can be retired', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cv-rw-app-'))
  const oldVault = await vault(t, { ENCRYPTION_MASTER_KEY: OLD })
  // Data written under key version 1 through the real app routes.
  const app = await appService(dataDir, oldVault)
  t.equal((await app.inject({ method: 'PUT', url: '/api/chats/c1', headers: as('user_a'), payload: { title: 'Plans', messages: [{ role: 'user', content: 'secret plans' }] } })).statusCode, 200)
  const integ = await app.inject({ method: 'POST', url: '/api/integrations', headers: as('user_b'), payload: { provider: 'openai', name: 'k', credentials: { api_key: 'sk-abcdef0123456789' } } })
  t.equal(integ.statusCode, 201)
  await app.close()

  // Rotation: version 2 is primary, version 1 kept as previous until the rewrap is done.
  const rotated = await vault(t, { ENCRYPTION_MASTER_KEY: NEW, ENCRYPTION_KEY_VERSION: '2', ENCRYPTION_MASTER_KEYS_PREVIOUS: `1:${OLD}` })
  const env = { ENVIRONMENT: 'test', DATA_DIR: dataDir, VAULT_URL: rotated, IDENTITY_SIGNING_KEY: signing }
  const first = await run(['vault', 'rewrap'], env)
  t.equal(first.code, 0, first.out)
  t.match(JSON.parse(first.out), { primary_version: 2, scanned: 2, rewrapped: 3, skipped: 0, failed: 0 }, 'the chat\'s body and title, and the credential')
  const again = await run(['vault', 'rewrap'], env)
  t.match(JSON.parse(again.out), { scanned: 2, rewrapped: 0, failed: 0 }, 'a second run finds nothing to do')

  const store = await openStore({ service: 'app', dataDir })
  const blobs = [
    ...(await (await store.collection<{ _id: string; body: string; title: string }>('chats')).find({})).flatMap((c) => [c.body, c.title]),
    ...(await (await store.collection<{ _id: string; credentials: string }>('integrations')).find({})).map((i) => i.credentials),
  ]
  await store.close()
  t.equal(blobs.length, 3)
  t.ok(blobs.every((b) => b.startsWith('cv1.2.')), 'every blob is under key version 2')

  // The old key retired: everything still opens, the credential included (the app never reads it).
  const retired = await vault(t, { ENCRYPTION_MASTER_KEY: NEW, ENCRYPTION_KEY_VERSION: '2' })
  const app2 = await appService(dataDir, retired)
  t.teardown(() => app2.close())
  const chat = await app2.inject({ method: 'GET', url: '/api/chats/c1', headers: as('user_a') })
  t.equal(chat.statusCode, 200)
  t.equal(chat.json().messages[0].content, 'secret plans')
  const id = integ.json().id as string
  const opened = await fetch(`${retired}/v1/decrypt`, {
    method: 'POST', headers: { 'content-type': 'application/json', ...as('user_b') },
    body: JSON.stringify({ items: [{ ciphertext: blobs[2], context: `integration:${id}` }] }),
  })
  t.same(JSON.parse((await opened.json() as { items: Array<{ plaintext: string }> }).items[0]!.plaintext), { api_key: 'sk-abcdef0123456789' })
})

t.test('vault rewrap reports a vault it cannot use, and exits 1', async (t) => {
  const r = await run(['vault', 'rewrap'], { ENVIRONMENT: 'test', VAULT_URL: 'http://127.0.0.1:9', IDENTITY_SIGNING_KEY: signing, DATA_DIR: mkdtempSync(join(tmpdir(), 'cv-rw-')) })
  t.equal(r.code, 1)
  t.match(r.out, /could not reach the vault/)
  t.equal((await run(['vault', 'rewrap', 'now'], {})).code, 64, 'extra arguments are a usage error')
})

t.test('the rewrap job pages through every record, and leaves a blob a user changed meanwhile as the user wrote it', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cv-rw-page-'))
  const oldVault = await vault(t, { ENCRYPTION_MASTER_KEY: OLD })
  const app = await appService(dataDir, oldVault)
  for (let i = 0; i < 7; i++) {
    t.equal((await app.inject({ method: 'PUT', url: `/api/chats/c${i}`, headers: as(`user_${i % 3}`), payload: { title: `t${i}`, messages: [] } })).statusCode, 200)
  }
  await app.close()
  const rotated = await vault(t, { ENCRYPTION_MASTER_KEY: NEW, ENCRYPTION_KEY_VERSION: '2', ENCRYPTION_MASTER_KEYS_PREVIOUS: `1:${OLD}` })
  const store = await openStore({ service: 'app', dataDir })
  t.teardown(() => store.close())
  const chats = await store.collection<{ _id: string; body: string; title: string; user_id: string; chat_id: string }>('chats')
  const real = new VaultClient(rotated)
  t.teardown(() => real.close())
  let calls = 0
  // The vault as the job sees it, with a user saving chat c3's title while its rewrap is in flight.
  const racing = {
    rewrap: async (caller: Caller, items: Array<{ ciphertext: string; context: string }>) => {
      const out = await real.rewrap(caller, items)
      calls++
      if (items.some((i) => i.context === 'chat:c3:title')) await chats.updateOne({ chat_id: 'c3' }, { $set: { title: 'cv1.2.written-by-the-user' } })
      return out
    },
  } as unknown as VaultClient
  const callerFor = (sub: string): Caller => ({ assertion: signer.sign({ sub, email: 'ops@localhost', role: 'user', sid: 'ops' }, ['vault']), requestId: 'r', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' })
  const report = await rewrapStale({ store, vault: racing, primaryVersion: 2, callerFor, pageSize: 2 })
  t.same(report, { scanned: 7, rewrapped: 13, skipped: 1, failed: 0 }, 'four pages of two, every record seen once; the user\'s title kept')
  t.equal(calls, 7)
  const after = await chats.find({})
  t.equal(after.find((c) => c.chat_id === 'c3')?.title, 'cv1.2.written-by-the-user', 'the concurrent write won')
  t.ok(after.every((c) => c.body.startsWith('cv1.2.') && c.title.startsWith('cv1.2.')), 'everything else is under the new key')
})
