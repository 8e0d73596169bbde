import { createPublicKey } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { loadAppConfig, loadAuthConfig, loadGatewayConfig, loadVaultConfig, type Env } from '@claraverse/config'
import { createLogger } from '@claraverse/logging'
import { openBus } from '@claraverse/bus'
import { buildApp as buildGateway } from '@claraverse/gateway'
import { buildApp as buildAuth } from '@claraverse/auth'
import { buildApp as buildVault } from '@claraverse/vault'
import { buildApp as buildApp } from '@claraverse/app'

export interface Embedded {
  gatewayUrl: string
  urls: { auth: string; vault: string; app: string }
  /** Stops the gateway first (no new traffic), then the services behind it. */
  close(): Promise<void>
}

/**
 * Runs the gateway and the three services in one process, each on its own loopback port, with
 * real HTTP between them. Internal services take ephemeral ports so nothing on the machine
 * collides with them; only the gateway's port (PORT, default 3001) is fixed.
 */
export async function startEmbedded(env: Env = process.env): Promise<Embedded> {
  const gatewayConfig = loadGatewayConfig(env)
  // Services trust exactly the key this gateway signs with, whatever its source.
  const signingKey = gatewayConfig.signingKey
  const publicPem = signingKey ? createPublicKey(signingKey).export({ format: 'pem', type: 'spki' }).toString() : undefined
  const internal: Env = { ...env, HOST: '127.0.0.1', PORT: '0', IDENTITY_JWKS_URL: '', ...(publicPem ? { IDENTITY_PUBLIC_KEY: publicPem } : {}) }
  const started: FastifyInstance[] = []
  const listen = async (app: FastifyInstance): Promise<string> => {
    started.unshift(app)
    return app.listen({ host: '127.0.0.1', port: 0 })
  }
  // One bus for the whole process: auth's revocations reach the gateway, the app hears deletions.
  const bus = openBus(env['REDIS_URL'] || undefined, createLogger({ name: 'bus', level: gatewayConfig.logLevel }))
  const close = async (): Promise<void> => {
    for (const app of started) await app.close()
    await bus.close()
  }
  try {
    const vaultConfig = loadVaultConfig(internal)
    const vault = await listen(await buildVault(vaultConfig, { logger: createLogger({ name: 'vault', level: vaultConfig.logLevel }) }))
    const authConfig = loadAuthConfig(internal)
    const auth = await listen(await buildAuth(authConfig, { logger: createLogger({ name: 'auth', level: authConfig.logLevel }), bus }))
    const appConfig = loadAppConfig({ ...internal, VAULT_URL: vault, AUTH_URL: auth })
    const app = await listen(await buildApp(appConfig, { logger: createLogger({ name: 'app', level: appConfig.logLevel }), bus }))
    const gatewayFinal = { ...gatewayConfig, upstreams: { auth, app } }
    const gatewayApp = await buildGateway(gatewayFinal, { logger: createLogger({ name: 'gateway', level: gatewayConfig.logLevel }), bus })
    for (const w of gatewayConfig.warnings) gatewayApp.log.warn(w)
    started.unshift(gatewayApp)
    const gatewayUrl = await gatewayApp.listen({ host: gatewayConfig.host, port: gatewayConfig.port })
    return { gatewayUrl, urls: { auth, vault, app }, close }
  } catch (err) {
    await close()
    throw err
  }
}
