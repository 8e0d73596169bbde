import type { Doc, Store } from '@claraverse/store'
import type { VaultClient } from '../clients/vault.js'
import type { Caller } from '../clients/caller.js'

/** A stored vault ciphertext: where it lives and the context it was sealed with. */
interface SealedField {
  collection: string
  field: string
  context: (doc: Record<string, unknown>) => string
}

// Every field the app stores as vault ciphertext (keep in step with the routes that write them).
const SEALED: SealedField[] = [
  { collection: 'chats', field: 'body', context: (d) => `chat:${String(d['chat_id'])}` },
  { collection: 'chats', field: 'title', context: (d) => `chat:${String(d['chat_id'])}:title` },
  { collection: 'integrations', field: 'credentials', context: (d) => `integration:${String(d['_id'])}` },
]

export interface RewrapReport {
  /** Documents read. */
  scanned: number
  /** Blobs moved to the primary key. */
  rewrapped: number
  /** Blobs changed by a user while the job ran: left as written; a second run picks them up. */
  skipped: number
  /** Blobs the vault refused or did not move to the primary key. */
  failed: number
}

export interface RewrapOptions {
  store: Store
  vault: VaultClient
  /** The vault's primary key version: blobs under any other version (or legacy) are rewrapped. */
  primaryVersion: number
  /** Who to call the vault as: each blob is the user's own, so the vault needs that user's assertion. */
  callerFor: (userId: string) => Caller
  pageSize?: number
  onError?: (err: unknown, where: { collection: string; id: string }) => void
}

/**
 * Moves every stored ciphertext to the vault's primary key, the last step of a key rotation:
 * after it, the previous key can be retired. Chats are also rewrapped when read; integration
 * credentials are never decrypted by the app, so only this job moves them. Each document is
 * updated only if its blob is still the one read (compare-and-set), so a concurrent edit wins.
 */
export async function rewrapStale(opts: RewrapOptions): Promise<RewrapReport> {
  const report: RewrapReport = { scanned: 0, rewrapped: 0, skipped: 0, failed: 0 }
  const current = `cv1.${opts.primaryVersion}.`
  const pageSize = opts.pageSize ?? 200
  for (const collection of [...new Set(SEALED.map((s) => s.collection))]) {
    const fields = SEALED.filter((s) => s.collection === collection)
    const col = await opts.store.collection<Doc & Record<string, unknown>>(collection)
    // Pages by _id: rewrapping changes blobs, never ids, so nothing is visited twice or missed.
    let after: string | undefined
    for (;;) {
      const page = await col.find(after === undefined ? {} : { _id: { $gt: after } } as never, { sort: { _id: 1 } as never, limit: pageSize })
      if (page.length === 0) break
      after = String(page[page.length - 1]?._id)
      for (const doc of page) {
        report.scanned++
        const stale = fields.filter((f) => typeof doc[f.field] === 'string' && !(doc[f.field] as string).startsWith(current))
        if (stale.length === 0) continue
        try {
          const fresh = await opts.vault.rewrap(opts.callerFor(String(doc['user_id'])), stale.map((f) => ({ ciphertext: doc[f.field] as string, context: f.context(doc) })))
          for (const [i, f] of stale.entries()) {
            const blob = fresh[i]
            // A vault replica not yet restarted with the new key would answer under the old one.
            if (blob === undefined || !blob.startsWith(current)) throw new Error(`the vault did not answer under key version ${opts.primaryVersion}`)
            // Field by field, as reads rewrap them (a chat's body and its title separately).
            const changed = await col.updateOne({ _id: doc._id, [f.field]: doc[f.field] } as never, { $set: { [f.field]: blob } } as never)
            if (changed === 1) report.rewrapped++
            else report.skipped++
          }
        } catch (err) {
          report.failed += stale.length
          opts.onError?.(err, { collection, id: String(doc._id) })
        }
      }
    }
  }
  return report
}
