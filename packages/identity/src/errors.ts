import { defineError } from '@claraverse/errors'

export const IdentityRequired = defineError('IDENTITY_REQUIRED', 'This service only accepts requests through the gateway', 401)
export const IdentityInvalid = defineError('IDENTITY_INVALID', 'Identity assertion rejected', 401)
