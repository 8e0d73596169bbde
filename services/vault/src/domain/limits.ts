/** Batch and item limits; the schemas and the body limit are computed from these. */
export const MAX_ITEMS = 100
export const MAX_PLAINTEXT_BYTES = 256 * 1024
export const MAX_CONTEXT_CHARS = 1024
/** Bounded so the HKDF info (prefix + id) stays under node's 1024-byte limit. */
export const MAX_USER_ID_BYTES = 512

export const NONCE_BYTES = 12
export const TAG_BYTES = 16

const base64Chars = (bytes: number): number => Math.ceil(bytes / 3) * 4
/** Standard base64 with padding, as `encoding: "base64"` plaintext arrives. */
export const MAX_PLAINTEXT_B64_CHARS = base64Chars(MAX_PLAINTEXT_BYTES)
/** `cv1.<9 digits>.` plus the base64 of nonce, the largest plaintext and tag (legacy blobs are shorter). */
export const MAX_CIPHERTEXT_CHARS = 'cv1.999999999.'.length + base64Chars(NONCE_BYTES + MAX_PLAINTEXT_BYTES + TAG_BYTES)
/**
 * A whole request: room for several large items, not for a hundred of them. A batch that does
 * not fit is split by the caller; DESIGN §12's 1 MiB default would not fit three large items.
 */
export const BODY_LIMIT = 4 * 1024 * 1024
