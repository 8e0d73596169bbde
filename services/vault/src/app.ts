import type { VaultConfig } from '@claraverse/config'
import { createLogger, type Logger } from '@claraverse/logging'
import { requireIdentity, verifierFromTrust, type AssertionVerifier } from '@claraverse/identity'
import { createService, type Service } from '@claraverse/service-kit'

export interface VaultDeps {
  logger?: Logger
  verifier?: AssertionVerifier
}

export async function buildApp(config: VaultConfig, deps: VaultDeps = {}): Promise<Service> {
  const logger = deps.logger ?? createLogger({ name: 'vault', level: config.logLevel })
  const verifier = deps.verifier ?? await verifierFromTrust('vault', config.identity)
  const app = createService({ name: 'vault', logger })
  await app.register(requireIdentity, { verifier })
  return app
}
