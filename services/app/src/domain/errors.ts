import { defineError } from '@claraverse/errors'

export const NotFoundHere = defineError('APP_NOT_FOUND', '%s not found', 404)
export const NestedTooDeep = defineError('APP_NESTED_TOO_DEEP', '%s', 400)
export const VaultUnavailable = defineError('APP_VAULT_UNAVAILABLE', 'Encryption service unavailable, retry later', 503)
export const VaultFailed = defineError('APP_VAULT_FAILED', 'Stored data could not be decrypted', 502)
export const AuthUnavailable = defineError('APP_AUTH_UNAVAILABLE', 'Account service unavailable, retry later', 503)
export const AdminOnly = defineError('APP_ADMIN_REQUIRED', 'Administrator access required', 403)
