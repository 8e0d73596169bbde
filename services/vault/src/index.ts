export * from './app.js'
export { Vault } from './domain/vault.js'
export { KeyRing, deriveUserKey, deriveLegacyKey, USER_KEY_INFO_PREFIX, LEGACY_KEY_INFO } from './domain/keys.js'
// Only for the published test vectors: production encryption always draws a random nonce.
export { encryptWithNonce, additionalData } from './domain/cipher.js'
export * from './domain/limits.js'
