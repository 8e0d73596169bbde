import type { Collection as Driver, Document, UpdateFilter } from 'mongodb'
import { DuplicateKeyError } from './errors.js'
import { mapMongoError } from './mongo-errors.js'
import { checkName, parseFilter, parseFind, parseUpdate } from './query.js'
import type { Collection, Doc, Filter, FindAndUpdateOptions, FindOptions, Update } from './types.js'

/** Shadow BSON Date of the expiry field, for the TTL index; never returned to callers. */
export const EXPIRE_AT = '_expireAt'

export class MongoCollection<T extends Doc> implements Collection<T> {
  constructor(
    private readonly coll: Driver<Document>,
    private readonly expiresAt: string | undefined,
    private readonly uniqueIndexes: Map<string, string[]>,
  ) {}

  /** Runs a driver call, translating its errors. */
  private async run<R>(fn: () => Promise<R>): Promise<R> {
    try {
      return await fn()
    } catch (err) {
      throw mapMongoError(err, this.uniqueIndexes)
    }
  }

  /**
   * Rebuilds the filter from checked conditions with explicit `$eq`, so no caller-supplied object
   * is ever read as an operator, and hides expired documents: the TTL monitor runs only once a
   * minute. `$lte` with a number matches numbers only, so absent or non-numeric fields never expire.
   */
  private filter(filter: Filter<T>): Document {
    const byField: Record<string, Record<string, unknown>> = {}
    for (const c of parseFilter(filter)) (byField[c.field] ??= {})[c.op] = c.value
    if (this.expiresAt === undefined) return byField
    return { $and: [byField, { [this.expiresAt]: { $not: { $lte: Date.now() } } }] }
  }

  private strip(doc: Document | null): T | null {
    if (doc === null) return null
    delete doc[EXPIRE_AT]
    return doc as T
  }

  private update(update: Update<T>): UpdateFilter<Document> {
    const u = parseUpdate(update)
    const $set: Document = Object.fromEntries(u.set)
    const $unset: Document = Object.fromEntries(u.unset.map((f) => [f, '']))
    const $inc: Document = Object.fromEntries(u.inc)
    const exp = this.expiresAt
    if (exp !== undefined) {
      if (exp in $inc) throw new Error(`store: use $set, not $inc, on the expiry field ${exp}`)
      if (typeof $set[exp] === 'number') $set[EXPIRE_AT] = new Date($set[exp] as number)
      else if (exp in $set || exp in $unset) $unset[EXPIRE_AT] = ''
    }
    const out: UpdateFilter<Document> = {}
    if (Object.keys($set).length > 0) out.$set = $set
    if (Object.keys($unset).length > 0) out.$unset = $unset
    if (Object.keys($inc).length > 0) out.$inc = $inc
    return out
  }

  async insertOne(doc: T): Promise<void> {
    if (typeof doc._id !== 'string' || doc._id === '') throw new Error('store: _id must be a non-empty string')
    for (const field of Object.keys(doc)) checkName(field)
    const stored: Document = { ...doc }
    const exp = this.expiresAt === undefined ? undefined : doc[this.expiresAt]
    if (typeof exp === 'number') stored[EXPIRE_AT] = new Date(exp)
    const insert = (): Promise<unknown> => this.run(() => this.coll.insertOne(stored))
    try {
      await insert()
    } catch (err) {
      if (!(err instanceof DuplicateKeyError)) throw err
      if (this.expiresAt !== undefined) {
        // An expired document may still hold the key until the TTL monitor runs; purge, retry once.
        await this.run(() => this.coll.deleteMany({ [this.expiresAt as string]: { $lte: Date.now() } }))
        try {
          await insert()
          return
        } catch (again) {
          if (!(again instanceof DuplicateKeyError)) throw again
        }
      }
      throw err.fields.length > 0 ? err : new DuplicateKeyError(await this.probe(doc))
    }
  }

  /** FerretDB does not say which index refused an insert; find the first key already taken. */
  private async probe(doc: T): Promise<string[]> {
    const candidates = [['_id'], ...this.uniqueIndexes.values()]
    for (const fields of candidates) {
      const query = Object.fromEntries(fields.map((f) => [f, { $eq: doc[f] ?? null }]))
      const hit = await this.coll.findOne(query, { projection: { _id: 1 } }).catch(() => null)
      if (hit !== null) return fields
    }
    return []
  }

  async find(filter: Filter<T>, options?: FindOptions<T>): Promise<T[]> {
    const { sort, limit, skip } = parseFind(options)
    const docs = await this.run(() => {
      let cursor = this.coll.find(this.filter(filter))
      if (sort.length > 0) cursor = cursor.sort(Object.fromEntries(sort))
      if (skip !== undefined) cursor = cursor.skip(skip)
      if (limit !== undefined) cursor = cursor.limit(limit)
      return cursor.toArray()
    })
    return docs.map((d) => this.strip(d) as T)
  }

  async findOne(filter: Filter<T>, options?: FindOptions<T>): Promise<T | null> {
    const [doc] = await this.find(filter, { ...options, limit: 1 })
    return doc ?? null
  }

  async count(filter: Filter<T>): Promise<number> {
    return this.run(() => this.coll.countDocuments(this.filter(filter)))
  }

  async updateOne(filter: Filter<T>, update: Update<T>): Promise<number> {
    const res = await this.run(() => this.coll.updateOne(this.filter(filter), this.update(update)))
    return res.matchedCount
  }

  async updateMany(filter: Filter<T>, update: Update<T>): Promise<number> {
    const res = await this.run(() => this.coll.updateMany(this.filter(filter), this.update(update)))
    return res.matchedCount
  }

  async findOneAndUpdate(filter: Filter<T>, update: Update<T>, options: FindAndUpdateOptions = {}): Promise<T | null> {
    const returnDocument = options.returnDocument ?? 'after'
    const doc = await this.run(() => this.coll.findOneAndUpdate(this.filter(filter), this.update(update), { returnDocument }))
    return this.strip(doc)
  }

  async deleteOne(filter: Filter<T>): Promise<number> {
    return (await this.run(() => this.coll.deleteOne(this.filter(filter)))).deletedCount
  }

  async deleteMany(filter: Filter<T>): Promise<number> {
    return (await this.run(() => this.coll.deleteMany(this.filter(filter)))).deletedCount
  }
}
