import type { Test } from 'tap'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadAppConfig, loadAuthConfig, loadVaultConfig, type Env } from '@claraverse/config'
import { createAssertionSigner, createAssertionVerifier, IDENTITY_HEADER, type Identity, type ServiceName } from '@claraverse/identity'
import { createLogger } from '@claraverse/logging'
import { createMemoryBus, type Bus } from '@claraverse/bus'
import { openStore, type Store } from '@claraverse/store'
import { buildApp } from '@claraverse/app'
import { buildApp as buildVault } from '@claraverse/vault'
import { buildApp as buildAuth } from '@claraverse/auth'
import type { Service } from '@claraverse/service-kit'

export interface AppHarness {
  app: Service
  store: Store
  bus: Bus
  /** Headers the gateway would send for this user on a route with this audience. */
  as(user: Partial<Identity> & { sub: string }, audience?: ServiceName[]): Record<string, string>
  /** The auth service behind the app (for analytics): register users through it. */
  auth: Service
  authUrl: string
}

const silent = (name: string) => createLogger({ name, level: 'silent' })

/** The app with a real vault and a real auth service on loopback ports, trusting one test key. */
export async function appHarness(t: Test, env: Env = {}, appLogger = silent('app')): Promise<AppHarness> {
  const keys = generateKeyPairSync('ed25519')
  const dataDir = mkdtempSync(join(tmpdir(), 'cv-app-'))
  const base: Env = { ENVIRONMENT: 'test', DATA_DIR: dataDir, LOG_LEVEL: 'silent', ARGON2_MEMORY_KIB: '8192', ARGON2_TIME_COST: '1', ...env }
  const verifier = (aud: ServiceName) => createAssertionVerifier({ audience: aud, publicKeys: [keys.publicKey] })
  const vault = await buildVault(loadVaultConfig(base), { logger: silent('vault'), verifier: verifier('vault') })
  const vaultUrl = await vault.listen({ host: '127.0.0.1', port: 0 })
  const bus = createMemoryBus(silent('bus'))
  const authStore = await openStore({ service: 'auth', dataDir })
  const auth = await buildAuth(loadAuthConfig(base), { logger: silent('auth'), verifier: verifier('auth'), store: authStore, bus, redis: null })
  const authUrl = await auth.listen({ host: '127.0.0.1', port: 0 })
  const store = await openStore({ service: 'app', dataDir })
  const app = await buildApp(loadAppConfig({ ...base, VAULT_URL: vaultUrl, AUTH_URL: authUrl }), { logger: appLogger, verifier: verifier('app'), store, bus })
  t.teardown(async () => {
    await app.close(); await auth.close(); await vault.close(); await bus.close(); await store.close(); await authStore.close()
  })
  const signer = createAssertionSigner({ privateKey: keys.privateKey })
  return {
    app, store, bus, auth, authUrl,
    as: (user, audience = ['app', 'vault']) => ({
      [IDENTITY_HEADER]: signer.sign({ email: `${user.sub}@example.com`, role: 'user', sid: `ses_${user.sub}`, ...user }, audience),
    }),
  }
}
