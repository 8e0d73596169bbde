import type { VaultConfig } from '@claraverse/config'
import { KeyRing } from './keys.js'
import { additionalData, encryptWithNonce, FORMAT_PREFIX, open } from './cipher.js'
import { strictBase64, strictBase64Url } from './base64.js'
import { NONCE_BYTES, TAG_BYTES } from './limits.js'
import { randomNonce } from './nonces.js'
import { DecryptFailed, MalformedCiphertext, UnknownKeyVersion } from './errors.js'

// Version: a positive integer without leading zeros, at most nine digits.
const HEADER = /^cv1\.([1-9][0-9]{0,8})\./
const MIN_SEALED = NONCE_BYTES + TAG_BYTES

export interface Opened {
  plaintext: Buffer
  /** False for an older key version or a legacy blob: the caller should store a rewrapped copy. */
  current: boolean
}

/** Encryption for one user at a time; the user id always comes from the verified assertion. */
export class Vault {
  constructor(readonly keys: KeyRing) {}

  static fromConfig(config: Pick<VaultConfig, 'keyVersion' | 'masterKey' | 'previousKeys' | 'keyCacheSize'>): Vault {
    return new Vault(new KeyRing({ primaryVersion: config.keyVersion, primary: config.masterKey, previous: config.previousKeys, cacheSize: config.keyCacheSize }))
  }

  encrypt(userId: string, plaintext: Buffer, context: string): string {
    const version = this.keys.primaryVersion
    return encryptWithNonce(this.keys.userKey(version, userId) as Buffer, version, userId, context, plaintext, randomNonce())
  }

  open(userId: string, blob: string, context: string): Opened {
    // A `cv1.` blob is never retried as legacy: a tampered header must not find a second way in.
    if (blob.startsWith(`${FORMAT_PREFIX}.`)) return this.openCurrent(userId, blob, context)
    const sealed = strictBase64(blob)
    if (!sealed || sealed.length < MIN_SEALED) throw new MalformedCiphertext()
    for (const key of this.keys.legacyKeys(userId)) {
      const plaintext = open(key, sealed)
      if (plaintext) return { plaintext, current: false }
    }
    throw new DecryptFailed()
  }

  /** The plaintext, and the blob under the primary key when it was under anything else. */
  decrypt(userId: string, blob: string, context: string): { plaintext: Buffer; rewrapped?: string } {
    const { plaintext, current } = this.open(userId, blob, context)
    return current ? { plaintext } : { plaintext, rewrapped: this.encrypt(userId, plaintext, context) }
  }

  /** A blob already under the primary key comes back unchanged, so callers can skip the write. */
  rewrap(userId: string, blob: string, context: string): string {
    const { plaintext, current } = this.open(userId, blob, context)
    const out = current ? blob : this.encrypt(userId, plaintext, context)
    plaintext.fill(0)
    return out
  }

  private openCurrent(userId: string, blob: string, context: string): Opened {
    const header = HEADER.exec(blob)
    if (!header) throw new MalformedCiphertext()
    const version = Number(header[1])
    // Checked before the body is even decoded: a retired key answers the same for any blob.
    if (!this.keys.has(version)) throw new UnknownKeyVersion()
    const sealed = strictBase64Url(blob.slice(header[0].length))
    if (!sealed || sealed.length < MIN_SEALED) throw new MalformedCiphertext()
    const plaintext = open(this.keys.userKey(version, userId) as Buffer, sealed, additionalData(version, userId, context))
    if (!plaintext) throw new DecryptFailed()
    return { plaintext, current: version === this.keys.primaryVersion }
  }
}
