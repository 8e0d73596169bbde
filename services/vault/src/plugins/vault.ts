import fp from 'fastify-plugin'
import type { VaultConfig } from '@claraverse/config'
import { Vault } from '../domain/vault.js'

declare module 'fastify' {
  interface FastifyInstance {
    vault: Vault
  }
}

/** The key ring and the operations on it, built once from configuration. */
export const vaultCore = fp<{ config: VaultConfig }>(async (app, { config }) => {
  const vault = Vault.fromConfig(config)
  app.decorate('vault', vault)
  app.addHook('onClose', async () => { vault.keys.forget() })
}, { name: 'vault-core' })
