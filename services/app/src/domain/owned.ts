import { randomBytes } from 'node:crypto'
import type { Collection, Doc, Store } from '@claraverse/store'

/** Every record the app keeps belongs to one user; every query is scoped by that user. */
export interface OwnedDoc extends Doc {
  user_id: string
  created_at: number
  updated_at: number
}

export const newId = (prefix: string): string => `${prefix}_${randomBytes(12).toString('base64url')}`

export class Owned<T extends OwnedDoc> {
  private constructor(readonly col: Collection<T>) {}

  static async open<T extends OwnedDoc>(store: Store, name: string): Promise<Owned<T>> {
    return new Owned(await store.collection<T>(name, { indexes: [{ fields: ['user_id', 'updated_at'] }] }))
  }

  async list(userId: string, page: number, pageSize: number): Promise<{ items: T[]; total: number }> {
    const filter = { user_id: userId } as Parameters<Collection<T>['find']>[0]
    const [items, total] = await Promise.all([
      this.col.find(filter, { sort: { updated_at: -1 } as never, skip: (page - 1) * pageSize, limit: pageSize }),
      this.col.count(filter),
    ])
    return { items, total }
  }

  /** Another user's record is simply not found: its existence is not revealed. */
  get(userId: string, id: string): Promise<T | null> {
    return this.col.findOne({ _id: id, user_id: userId } as Parameters<Collection<T>['findOne']>[0])
  }

  insert(doc: T): Promise<void> {
    return this.col.insertOne(doc)
  }

  update(userId: string, id: string, set: Partial<Omit<T, '_id' | 'user_id'>>): Promise<T | null> {
    return this.col.findOneAndUpdate(
      { _id: id, user_id: userId } as Parameters<Collection<T>['findOne']>[0],
      { $set: { ...set, updated_at: Date.now() } as never },
    )
  }

  async remove(userId: string, id: string): Promise<boolean> {
    return (await this.col.deleteOne({ _id: id, user_id: userId } as Parameters<Collection<T>['deleteOne']>[0])) === 1
  }

  purge(userId: string): Promise<number> {
    return this.col.deleteMany({ user_id: userId } as Parameters<Collection<T>['deleteMany']>[0])
  }

  countAll(): Promise<number> {
    return this.col.count({})
  }
}
