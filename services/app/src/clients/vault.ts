import { Pool } from 'undici'
import { callerHeaders, type Caller } from './caller.js'
import { VaultFailed, VaultUnavailable } from '../domain/errors.js'

export interface SealItem {
  plaintext: string
  context: string
}

export interface OpenItem {
  ciphertext: string
  context: string
}

/**
 * The app never holds key material: it asks the vault, carrying the end user's own assertion
 * (delegation), so the vault encrypts for that user and nobody else.
 */
export class VaultClient {
  private readonly pool: Pool

  constructor(baseUrl: string) {
    this.pool = new Pool(baseUrl, { connections: 32, keepAliveTimeout: 30_000, connect: { timeout: 2_000 }, headersTimeout: 10_000, bodyTimeout: 10_000 })
  }

  async encrypt(caller: Caller, items: SealItem[]): Promise<string[]> {
    if (items.length === 0) return []
    const res = await this.call<{ items: Array<{ ciphertext: string }> }>('/v1/encrypt', caller, { items })
    return res.items.map((i) => i.ciphertext)
  }

  /** Plaintexts, and for blobs under an old key (or legacy) the same data under the current key. */
  async decrypt(caller: Caller, items: OpenItem[]): Promise<Array<{ plaintext: string; rewrapped?: string }>> {
    if (items.length === 0) return []
    const res = await this.call<{ items: Array<{ plaintext: string; rewrapped?: string }> }>('/v1/decrypt', caller, { items })
    return res.items
  }

  /** The same data under the vault's primary key; plaintext never leaves the vault. */
  async rewrap(caller: Caller, items: OpenItem[]): Promise<string[]> {
    if (items.length === 0) return []
    const res = await this.call<{ items: Array<{ ciphertext: string }> }>('/v1/rewrap', caller, { items })
    return res.items.map((i) => i.ciphertext)
  }

  close(): Promise<void> {
    return this.pool.close()
  }

  private async call<T>(path: string, caller: Caller, body: unknown): Promise<T> {
    let res
    try {
      res = await this.pool.request({
        path, method: 'POST', body: JSON.stringify(body),
        headers: { 'content-type': 'application/json', ...callerHeaders(caller) },
      })
    } catch (err) {
      throw new VaultUnavailable({ cause: err })
    }
    if (res.statusCode >= 500) {
      await res.body.dump()
      throw new VaultUnavailable()
    }
    if (res.statusCode !== 200) {
      await res.body.dump()
      throw new VaultFailed()
    }
    return await res.body.json() as T
  }
}
