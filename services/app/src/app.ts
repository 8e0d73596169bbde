import type { AppConfig } from '@claraverse/config'
import { createLogger, type Logger } from '@claraverse/logging'
import { requireIdentity, verifierFromTrust, type AssertionVerifier } from '@claraverse/identity'
import { createService, type Service } from '@claraverse/service-kit'

export interface AppDeps {
  logger?: Logger
  verifier?: AssertionVerifier
}

export async function buildApp(config: AppConfig, deps: AppDeps = {}): Promise<Service> {
  const logger = deps.logger ?? createLogger({ name: 'app', level: config.logLevel })
  const verifier = deps.verifier ?? await verifierFromTrust('app', config.identity)
  const app = createService({ name: 'app', logger })
  await app.register(requireIdentity, { verifier })
  return app
}
