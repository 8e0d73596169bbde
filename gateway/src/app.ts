import { createPublicKey } from 'node:crypto'
import type { GatewayConfig } from '@claraverse/config'
import { createLogger, type Logger } from '@claraverse/logging'
import { jwksDocument } from '@claraverse/identity'
import { createService, type Service } from '@claraverse/service-kit'

export interface GatewayDeps {
  logger?: Logger
}

/** The edge: everything a client reaches passes through this instance. */
export async function buildApp(config: GatewayConfig, deps: GatewayDeps = {}): Promise<Service> {
  const logger = deps.logger ?? createLogger({ name: 'gateway', level: config.logLevel })
  const app = createService({ name: 'gateway', logger, trustProxy: config.trustProxy })
  const publicKeys = config.signingKey ? [createPublicKey(config.signingKey)] : []
  const jwks = jwksDocument(publicKeys)
  app.get('/.well-known/jwks.json', async (_request, reply) => {
    reply.header('cache-control', 'public, max-age=300')
    return jwks
  })
  return app
}
