import { createHash, randomBytes, randomUUID } from 'node:crypto'
import type { Collection, Doc, Store } from '@claraverse/store'

/** One session family: every refresh token descended from one login. */
export interface SessionDoc extends Doc {
  user_id: string
  created_at: number
  last_used_at: number
  /** Absolute end of the family; rotation never moves it. Also the store's expiry. */
  expires_at: number
  /** Hashes of refresh-token ids: the live one, a grace-window sibling, and the one just rotated. */
  current_hash: string
  sibling_hash?: string
  parent_hash?: string
  rotated_at?: number
  revoked_at?: number
  revoke_reason?: string
  user_agent: string
  ip: string
}

export type RotateResult =
  | { kind: 'rotated' | 'grace'; session: SessionDoc; jti: string }
  | { kind: 'reuse'; session: SessionDoc }
  | { kind: 'invalid' }

const hash = (jti: string): string => createHash('sha256').update(jti).digest('base64url')
export const newSessionId = (): string => `ses_${randomBytes(12).toString('base64url')}`

export class Sessions {
  private constructor(private readonly col: Collection<SessionDoc>, private readonly graceMs: number) {}

  static async open(store: Store, graceSeconds: number): Promise<Sessions> {
    const col = await store.collection<SessionDoc>('sessions', { indexes: [{ fields: ['user_id'] }], expiresAtField: 'expires_at' })
    return new Sessions(col, graceSeconds * 1000)
  }

  async create(userId: string, ttlSeconds: number, meta: { userAgent: string; ip: string }, now = Date.now()): Promise<{ session: SessionDoc; jti: string }> {
    const jti = randomUUID()
    const session: SessionDoc = {
      _id: newSessionId(), user_id: userId, created_at: now, last_used_at: now, expires_at: now + ttlSeconds * 1000,
      current_hash: hash(jti), user_agent: meta.userAgent.slice(0, 256), ip: meta.ip,
    }
    await this.col.insertOne(session)
    return { session, jti }
  }

  /**
   * Consumes a refresh token with single conditional updates, so two concurrent uses cannot
   * both rotate. The immediate parent replayed within the grace window gets a sibling token
   * (two tabs refreshing at once stay logged in); any other reuse revokes the whole family.
   */
  async rotate(sid: string, userId: string, jti: string, now = Date.now()): Promise<RotateResult> {
    const presented = hash(jti)
    const next = randomUUID()
    const rotation = {
      $set: { current_hash: hash(next), parent_hash: presented, rotated_at: now, last_used_at: now },
      $unset: { sibling_hash: true as const },
    }
    const live = { _id: sid, user_id: userId, revoked_at: { $exists: false } }
    const rotated = await this.col.findOneAndUpdate({ ...live, current_hash: presented }, rotation) ??
      await this.col.findOneAndUpdate({ ...live, sibling_hash: presented }, rotation)
    if (rotated) return { kind: 'rotated', session: rotated, jti: next }

    const sibling = await this.col.findOneAndUpdate(
      { ...live, parent_hash: presented, rotated_at: { $gte: now - this.graceMs } },
      { $set: { sibling_hash: hash(next), last_used_at: now } },
    )
    if (sibling) return { kind: 'grace', session: sibling, jti: next }

    const session = await this.col.findOne({ _id: sid, user_id: userId })
    if (!session || session.revoked_at !== undefined) return { kind: 'invalid' }
    await this.revoke(sid, 'refresh_token_reuse', now)
    return { kind: 'reuse', session }
  }

  byId(sid: string): Promise<SessionDoc | null> {
    return this.col.findOne({ _id: sid })
  }

  listActive(userId: string): Promise<SessionDoc[]> {
    return this.col.find({ user_id: userId, revoked_at: { $exists: false } }, { sort: { last_used_at: -1 }, limit: 100 })
  }

  /** True when a live session was revoked. */
  async revoke(sid: string, reason: string, now = Date.now(), userId?: string): Promise<boolean> {
    const filter = userId === undefined ? { _id: sid, revoked_at: { $exists: false } } : { _id: sid, user_id: userId, revoked_at: { $exists: false } }
    return (await this.col.updateOne(filter, { $set: { revoked_at: now, revoke_reason: reason } })) === 1
  }

  revokeAll(userId: string, reason: string, now = Date.now()): Promise<number> {
    return this.col.updateMany({ user_id: userId, revoked_at: { $exists: false } }, { $set: { revoked_at: now, revoke_reason: reason } })
  }

  deleteAll(userId: string): Promise<number> {
    return this.col.deleteMany({ user_id: userId })
  }

  countActive(): Promise<number> {
    return this.col.count({ revoked_at: { $exists: false } })
  }
}
