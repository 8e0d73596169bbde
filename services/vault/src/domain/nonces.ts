import { randomFillSync } from 'node:crypto'
import { NONCE_BYTES } from './limits.js'

// One CSPRNG call per 512 nonces: under load, randomBytes(12) per encryption cost as much as the
// AES-GCM of a 1 KiB item. Each slice is handed out once (nonces are public, not secret).
const POOL_NONCES = 512
const pool = Buffer.alloc(NONCE_BYTES * POOL_NONCES)
let offset = pool.length

/** A fresh random 96-bit GCM nonce. */
export function randomNonce(): Buffer {
  if (offset === pool.length) {
    randomFillSync(pool)
    offset = 0
  }
  const nonce = Buffer.from(pool.subarray(offset, offset + NONCE_BYTES))
  offset += NONCE_BYTES
  return nonce
}
