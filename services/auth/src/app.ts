import type { AuthConfig } from '@claraverse/config'
import { createLogger, type Logger } from '@claraverse/logging'
import { requireIdentity, verifierFromTrust, type AssertionVerifier } from '@claraverse/identity'
import { createService, type Service } from '@claraverse/service-kit'

export interface AuthDeps {
  logger?: Logger
  verifier?: AssertionVerifier
}

export async function buildApp(config: AuthConfig, deps: AuthDeps = {}): Promise<Service> {
  const logger = deps.logger ?? createLogger({ name: 'auth', level: config.logLevel })
  const verifier = deps.verifier ?? await verifierFromTrust('auth', config.identity)
  const app = createService({ name: 'auth', logger })
  await app.register(requireIdentity, { verifier })
  return app
}
