import type { VaultConfig } from '@claraverse/config'
import { createLogger, type Logger } from '@claraverse/logging'
import { requireIdentity, verifierFromTrust, type AssertionVerifier } from '@claraverse/identity'
import { createService, type Service } from '@claraverse/service-kit'
import { BODY_LIMIT } from './domain/limits.js'
import { vaultCore } from './plugins/vault.js'
import { cryptoRoutes } from './routes/crypto.js'
import { keyRoutes } from './routes/keys.js'

export interface VaultDeps {
  logger?: Logger
  verifier?: AssertionVerifier
}

/** DESIGN §6: encryption as a service. Holds the master keys, stores nothing. */
export async function buildApp(config: VaultConfig, deps: VaultDeps = {}): Promise<Service> {
  const logger = deps.logger ?? createLogger({ name: 'vault', level: config.logLevel })
  const verifier = deps.verifier ?? await verifierFromTrust('vault', config.identity)
  const app = createService({ name: 'vault', logger, bodyLimit: BODY_LIMIT })
  // Decrypted plaintext must never sit in a shared cache.
  app.addHook('onSend', async (_request, reply) => {
    reply.header('cache-control', 'no-store')
  })
  await app.register(requireIdentity, { verifier })
  await app.register(vaultCore, { config })
  await app.register(cryptoRoutes)
  await app.register(keyRoutes)
  return app
}
