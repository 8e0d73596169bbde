import { randomBytes } from 'node:crypto'
import { DuplicateKeyError, type Collection, type Doc, type Store } from '@claraverse/store'
import type { Role } from '@claraverse/identity'
import { EmailTaken } from './errors.js'

export interface UserDoc extends Doc {
  email: string
  password_hash: string
  role: Role
  disabled: boolean
  email_verified: boolean
  created_at: number
  updated_at: number
  last_login_at: number | null
  /** The latest user-wide revocation's not_before (epoch s); new tokens are issued no earlier. */
  revoked_before?: number
}

interface ClaimDoc extends Doc {
  user_id: string
  at: number
}

export const newUserId = (): string => `user_${randomBytes(12).toString('base64url')}`

export class Users {
  private constructor(private readonly users: Collection<UserDoc>, private readonly claims: Collection<ClaimDoc>) {}

  static async open(store: Store): Promise<Users> {
    const users = await store.collection<UserDoc>('users', { indexes: [{ fields: ['email'], unique: true }, { fields: ['role'] }, { fields: ['created_at'] }] })
    const claims = await store.collection<ClaimDoc>('claims')
    return new Users(users, claims)
  }

  /**
   * Inserts a user; the unique index decides between two registrations of one email. The first
   * user becomes admin through one atomic claim document (an insert that only one caller can
   * win), never by counting users first.
   */
  async create(email: string, passwordHash: string, now = Date.now()): Promise<UserDoc> {
    const user: UserDoc = {
      _id: newUserId(), email, password_hash: passwordHash, role: 'user', disabled: false,
      email_verified: false, created_at: now, updated_at: now, last_login_at: null,
    }
    try {
      await this.users.insertOne(user)
    } catch (err) {
      if (err instanceof DuplicateKeyError) throw new EmailTaken()
      throw err
    }
    try {
      await this.claims.insertOne({ _id: 'first_admin', user_id: user._id, at: now })
    } catch (err) {
      if (err instanceof DuplicateKeyError) return user
      throw err
    }
    await this.users.updateOne({ _id: user._id }, { $set: { role: 'admin' } })
    return { ...user, role: 'admin' }
  }

  byId(id: string): Promise<UserDoc | null> {
    return this.users.findOne({ _id: id })
  }

  byEmail(email: string): Promise<UserDoc | null> {
    return this.users.findOne({ email })
  }

  async update(id: string, set: Partial<Omit<UserDoc, '_id'>>): Promise<UserDoc | null> {
    return this.users.findOneAndUpdate({ _id: id }, { $set: { ...set, updated_at: Date.now() } })
  }

  async remove(id: string): Promise<boolean> {
    return (await this.users.deleteOne({ _id: id })) === 1
  }

  count(): Promise<number> {
    return this.users.count({})
  }

  /** Admins who can still act: role admin and not disabled. */
  countActiveAdmins(): Promise<number> {
    return this.users.count({ role: 'admin', disabled: false })
  }

  countAdmins(): Promise<number> {
    return this.users.count({ role: 'admin' })
  }

  /** A page of users, newest first; `search` matches the start of the email. */
  async list(page: number, pageSize: number, search?: string): Promise<{ users: UserDoc[]; total: number }> {
    const filter = search ? { email: { $gte: search, $lt: `${search}\uffff` } } : {}
    const [users, total] = await Promise.all([
      this.users.find(filter, { sort: { created_at: -1 }, skip: (page - 1) * pageSize, limit: pageSize }),
      this.users.count(filter),
    ])
    return { users, total }
  }
}

export interface PublicUser {
  id: string
  email: string
  email_verified: boolean
  role: Role
  created_at: string
  last_login_at: string | null
}

export function publicUser(u: UserDoc): PublicUser {
  return {
    id: u._id, email: u.email, email_verified: u.email_verified, role: u.role,
    created_at: new Date(u.created_at).toISOString(),
    last_login_at: u.last_login_at === null ? null : new Date(u.last_login_at).toISOString(),
  }
}
