import { defineError } from '@claraverse/errors'

// Tag failure, wrong context and another user's blob share one code and one message on purpose:
// telling them apart would tell a caller which part of a guess was right.
export const DecryptFailed = defineError('VAULT_DECRYPT_FAILED', 'Ciphertext cannot be decrypted for this user and context', 422)
export const UnknownKeyVersion = defineError('VAULT_UNKNOWN_KEY_VERSION', 'Ciphertext names a key version this vault does not hold', 422)
export const MalformedCiphertext = defineError('VAULT_MALFORMED_CIPHERTEXT', 'Ciphertext is not in a format this vault reads', 400)
export const InvalidBase64 = defineError('VAULT_INVALID_BASE64', 'Plaintext is not canonical standard base64', 400)
export const InvalidPlaintext = defineError('VAULT_INVALID_PLAINTEXT', 'Plaintext is not well-formed Unicode; send binary data with encoding "base64"', 400)
export const NotUtf8 = defineError('VAULT_NOT_UTF8', 'Plaintext is not valid UTF-8; decrypt it with encoding "base64"', 422)
export const ItemTooLarge = defineError('VAULT_ITEM_TOO_LARGE', '%s', 413)
export const BatchTooLarge = defineError('VAULT_BATCH_TOO_LARGE', '%s', 413)
export const UnsupportedUserId = defineError('VAULT_UNSUPPORTED_USER_ID', 'The caller\'s user id is too long to derive a key from', 400)
export const AdminRequired = defineError('VAULT_ADMIN_REQUIRED', 'Administrator access required', 403)

/** Marks which batch item failed; the error body then carries `item`. */
export function atItem<E>(err: E, item: number): E {
  if (typeof err === 'object' && err !== null) {
    const prev = (err as { extra?: Record<string, unknown> }).extra
    Object.assign(err, { extra: { ...prev, item } })
  }
  return err
}
