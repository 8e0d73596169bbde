import { randomUUID } from 'node:crypto'
import type { Collection, Doc, Filter, Store } from '@claraverse/store'
import type { Log } from '@claraverse/logging'

export type AuditType =
  | 'user.registered' | 'login.succeeded' | 'login.failed' | 'logout' | 'logout_all'
  | 'password.changed' | 'session.revoked' | 'refresh_token.reuse_detected'
  | 'admin.user_updated' | 'admin.user_deleted'

export interface AuditDoc extends Doc {
  at: number
  type: AuditType
  actor_id: string | null
  target_id: string | null
  ip: string | null
  details: Record<string, string | number | boolean | null>
  expires_at: number
}

const RETENTION_MS = 90 * 24 * 3600 * 1000

/** Security events, kept 90 days. Writing one never fails the request that caused it. */
export class AuditLog {
  private constructor(private readonly col: Collection<AuditDoc>, private readonly log: Log) {}

  static async open(store: Store, log: Log): Promise<AuditLog> {
    const col = await store.collection<AuditDoc>('audit', { indexes: [{ fields: ['type', 'at'] }, { fields: ['at'] }], expiresAtField: 'expires_at' })
    return new AuditLog(col, log)
  }

  async write(type: AuditType, e: { actor?: string | null; target?: string | null; ip?: string | null; details?: AuditDoc['details'] } = {}): Promise<void> {
    const at = Date.now()
    try {
      await this.col.insertOne({
        _id: `evt_${randomUUID()}`, at, type, actor_id: e.actor ?? null, target_id: e.target ?? null,
        ip: e.ip ?? null, details: e.details ?? {}, expires_at: at + RETENTION_MS,
      })
    } catch (err) {
      this.log.error({ err, type }, 'could not write an audit event')
    }
  }

  async list(page: number, pageSize: number, filter: { type?: AuditType | undefined; user_id?: string | undefined }): Promise<{ events: AuditDoc[]; total: number }> {
    const f: Filter<AuditDoc> = {}
    if (filter.type) f.type = filter.type
    if (filter.user_id) f.target_id = filter.user_id
    const [events, total] = await Promise.all([
      this.col.find(f, { sort: { at: -1 }, skip: (page - 1) * pageSize, limit: pageSize }),
      this.col.count(f),
    ])
    return { events, total }
  }

  countSince(type: AuditType, sinceMs: number): Promise<number> {
    return this.col.count({ type, at: { $gte: sinceMs } })
  }
}
