export * from './app.js'
export * from './domain/rewrap.js'
export { VaultClient } from './clients/vault.js'
export type { Caller } from './clients/caller.js'
