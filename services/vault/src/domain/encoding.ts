import { strictBase64 } from './base64.js'
import { MAX_PLAINTEXT_BYTES } from './limits.js'
import { InvalidBase64, InvalidPlaintext, ItemTooLarge, NotUtf8 } from './errors.js'

export type Encoding = 'utf8' | 'base64'

// With the `u` flag this matches only unpaired surrogates, which UTF-8 cannot carry: encoding
// would silently turn them into U+FFFD and the round trip would return a different string.
const LONE_SURROGATE = /\p{Surrogate}/u
// ignoreBOM keeps a leading U+FEFF: the caller gets back exactly the string it sent.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** The bytes to encrypt from a request's plaintext field. */
export function plaintextBytes(text: string, encoding: Encoding = 'utf8'): Buffer {
  let bytes: Buffer | undefined
  if (encoding === 'base64') {
    bytes = strictBase64(text)
    if (!bytes) throw new InvalidBase64()
  } else {
    if (LONE_SURROGATE.test(text)) throw new InvalidPlaintext()
    bytes = Buffer.from(text, 'utf8')
  }
  if (bytes.length > MAX_PLAINTEXT_BYTES) throw new ItemTooLarge(`Plaintext is over ${MAX_PLAINTEXT_BYTES} bytes`)
  return bytes
}

/** A decrypted plaintext as the response field. */
export function plaintextText(bytes: Buffer, encoding: Encoding = 'utf8'): string {
  if (encoding === 'base64') return bytes.toString('base64')
  try {
    return utf8.decode(bytes)
  } catch {
    throw new NotUtf8()
  }
}
