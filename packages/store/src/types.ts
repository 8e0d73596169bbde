/**
 * The document store every service uses (DESIGN §11). Documents are plain JSON values with a
 * string `_id`; timestamps are epoch milliseconds (numbers), so both adapters compare them the
 * same way. No transactions: correctness comes from unique indexes and single-document atomic
 * updates.
 */
export type Scalar = string | number | boolean | null
export type Json = Scalar | Json[] | { [key: string]: Json }

export interface Doc {
  _id: string
  [field: string]: unknown
}

/** Operators allowed on one field. A bare value means equality. */
export interface FieldOps<V> {
  $eq?: V
  $ne?: V
  $in?: V[]
  $gt?: V
  $gte?: V
  $lt?: V
  $lte?: V
  $exists?: boolean
}

/** Top-level fields only; several fields are ANDed. */
export type Filter<T extends Doc> = { [K in keyof T]?: T[K] | FieldOps<T[K]> }

export type Sort<T extends Doc> = { [K in keyof T]?: 1 | -1 }

export interface FindOptions<T extends Doc> {
  sort?: Sort<T>
  limit?: number
  skip?: number
}

export interface Update<T extends Doc> {
  $set?: Partial<Omit<T, '_id'>>
  $unset?: { [K in keyof T]?: true }
  $inc?: { [K in keyof T]?: number }
}

export interface FindAndUpdateOptions {
  /** Which version to return; default 'after'. */
  returnDocument?: 'before' | 'after'
}

export interface IndexSpec {
  /** Top-level fields, in order. */
  fields: string[]
  unique?: boolean
}

export interface CollectionSpec {
  indexes?: IndexSpec[]
  /**
   * A numeric field holding an epoch-ms expiry. Documents past it are never returned by any
   * read, and are purged in the background (MongoDB: TTL index; SQLite: periodic sweep).
   */
  expiresAtField?: string
}

export interface Collection<T extends Doc> {
  /** Throws DuplicateKeyError when a unique index (or `_id`) already holds the value. */
  insertOne(doc: T): Promise<void>
  findOne(filter: Filter<T>, options?: FindOptions<T>): Promise<T | null>
  find(filter: Filter<T>, options?: FindOptions<T>): Promise<T[]>
  count(filter: Filter<T>): Promise<number>
  /** Returns how many documents matched (0 or 1). */
  updateOne(filter: Filter<T>, update: Update<T>): Promise<number>
  updateMany(filter: Filter<T>, update: Update<T>): Promise<number>
  /** Atomic: the filter is checked and the update applied as one step. */
  findOneAndUpdate(filter: Filter<T>, update: Update<T>, options?: FindAndUpdateOptions): Promise<T | null>
  deleteOne(filter: Filter<T>): Promise<number>
  deleteMany(filter: Filter<T>): Promise<number>
}

export interface Store {
  /** Opens (and on first use creates, with its indexes) a collection. */
  collection<T extends Doc>(name: string, spec?: CollectionSpec): Promise<Collection<T>>
  /** Resolves when the backing database answers; used by `/ready`. */
  ping(): Promise<void>
  close(): Promise<void>
  readonly kind: 'mongodb' | 'sqlite'
}
