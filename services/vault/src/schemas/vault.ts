import { Type, type TSchema } from '@sinclair/typebox'
import { MAX_CIPHERTEXT_CHARS, MAX_CONTEXT_CHARS, MAX_ITEMS, MAX_PLAINTEXT_B64_CHARS } from '../domain/limits.js'

// No field anywhere names a user: the user is the assertion's `sub`, and unknown fields are refused.
const closed = { additionalProperties: false } as const

const Context = Type.String({ maxLength: MAX_CONTEXT_CHARS, description: 'What the blob belongs to, e.g. "integration:<id>"; decrypt needs the same value. Empty when left out.' })
const Encoding = Type.Union([Type.Literal('utf8'), Type.Literal('base64')], { description: 'How plaintext travels: a UTF-8 string (default) or standard base64 with padding.' })
// Plaintext byte size is checked after decoding; this bound only stops absurd strings early.
const Plaintext = Type.String({ maxLength: MAX_PLAINTEXT_B64_CHARS })
const Ciphertext = Type.String({ maxLength: MAX_CIPHERTEXT_CHARS, description: 'cv1.<version>.<base64url>, or a legacy blob (standard base64)' })

const batch = <T extends TSchema>(item: T) => Type.Object({ items: Type.Array(item, { maxItems: MAX_ITEMS }) }, closed)

export const EncryptBody = batch(Type.Object({ plaintext: Plaintext, context: Type.Optional(Context), encoding: Type.Optional(Encoding) }, closed))
export const DecryptBody = batch(Type.Object({ ciphertext: Ciphertext, context: Type.Optional(Context), encoding: Type.Optional(Encoding) }, closed))
export const RewrapBody = batch(Type.Object({ ciphertext: Ciphertext, context: Type.Optional(Context) }, closed))

// Ciphertexts leaving the vault are `cv1.<digits>.<base64url>`, made here or (rewrap of a current
// blob) parsed strictly first: nothing in them needs JSON escaping, so the serializer may skip its
// per-character scan (fast-json-stringify "unsafe"). Never use this for plaintext.
const OutCiphertext = (description?: string) => Type.String({ format: 'unsafe', ...(description ? { description } : {}) })

export const CiphertextList = Type.Object({ items: Type.Array(Type.Object({ ciphertext: OutCiphertext() })) })
export const PlaintextList = Type.Object({
  items: Type.Array(Type.Object({
    plaintext: Type.String(),
    rewrapped: Type.Optional(OutCiphertext('Present when the blob was under an older key or in the legacy format: store this instead')),
  })),
})

export const KeysReply = Type.Object({
  primary_version: Type.Integer(),
  versions: Type.Array(Type.Object({ version: Type.Integer(), primary: Type.Boolean() })),
  legacy_import: Type.Literal(true),
  cache: Type.Object({ size: Type.Integer(), max: Type.Integer() }),
})
