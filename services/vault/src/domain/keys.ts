import { hkdfSync } from 'node:crypto'
import { Lru } from '@claraverse/identity'
import { MAX_USER_ID_BYTES } from './limits.js'
import { UnsupportedUserId } from './errors.js'

export const USER_KEY_INFO_PREFIX = 'claraverse/vault/v1/user:'
/** The ClaraVerse Go backend's info string; its blobs carry no version and no AAD. */
export const LEGACY_KEY_INFO = 'claraverse-user-encryption'

const hkdf = (master: Buffer, userId: string, info: string): Buffer =>
  Buffer.from(hkdfSync('sha256', master, Buffer.from(userId, 'utf8'), Buffer.from(info, 'utf8'), 32))

/** DESIGN §6: HKDF-SHA256(master key, salt = user id, info = prefix + user id), 32 bytes. */
export const deriveUserKey = (master: Buffer, userId: string): Buffer => hkdf(master, userId, USER_KEY_INFO_PREFIX + userId)
export const deriveLegacyKey = (master: Buffer, userId: string): Buffer => hkdf(master, userId, LEGACY_KEY_INFO)

export interface KeyRingOptions {
  primaryVersion: number
  primary: Buffer
  previous: ReadonlyMap<number, Buffer>
  /** Derived keys kept in memory; 0 derives on every call. */
  cacheSize: number
}

export interface KeyVersionInfo {
  version: number
  primary: boolean
}

/** The master keys by version, and the per-user keys derived from them. */
export class KeyRing {
  readonly primaryVersion: number
  private readonly masters: ReadonlyMap<number, Buffer>
  // Newest first: the order legacy blobs are tried in.
  private readonly order: number[]
  private readonly cache: Lru<string, Buffer>

  constructor(opts: KeyRingOptions) {
    for (const k of [opts.primary, ...opts.previous.values()]) {
      if (k.length !== 32) throw new Error('vault master keys must be 32 bytes')
    }
    this.primaryVersion = opts.primaryVersion
    this.masters = new Map([[opts.primaryVersion, opts.primary], ...opts.previous])
    this.order = [opts.primaryVersion, ...[...opts.previous.keys()].sort((a, b) => b - a)]
    this.cache = new Lru(opts.cacheSize)
  }

  has(version: number): boolean {
    return this.masters.has(version)
  }

  /** The user's key under this master key version; undefined when the version is not held. */
  userKey(version: number, userId: string): Buffer | undefined {
    const master = this.masters.get(version)
    return master && this.derive(`v${version}:${userId}`, () => deriveUserKey(master, userId), userId)
  }

  /**
   * Legacy blobs predate key versions, so which master key made them is unknown: the primary is
   * tried first (a deployment that imported the Go backend's key as-is), then the previous keys,
   * newest first (one that has rotated since).
   */
  *legacyKeys(userId: string): Generator<Buffer> {
    for (const v of this.order) yield this.derive(`L${v}:${userId}`, () => deriveLegacyKey(this.masters.get(v) as Buffer, userId), userId)
  }

  versions(): KeyVersionInfo[] {
    return this.order.map((version) => ({ version, primary: version === this.primaryVersion }))
  }

  /** Drops derived keys on shutdown; the master keys stay with the configuration that owns them. */
  forget(): void {
    this.cache.clear()
  }

  cacheStats(): { size: number; max: number } {
    return { size: this.cache.size, max: this.cache.max }
  }

  private derive(slot: string, make: () => Buffer, userId: string): Buffer {
    const hit = this.cache.get(slot)
    if (hit) return hit
    if (Buffer.byteLength(userId, 'utf8') > MAX_USER_ID_BYTES) throw new UnsupportedUserId()
    const key = make()
    this.cache.set(slot, key)
    return key
  }
}
