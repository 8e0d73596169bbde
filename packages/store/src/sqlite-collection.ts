import Database from 'better-sqlite3'
import { DuplicateKeyError, StoreUnavailable } from './errors.js'
import { applyUpdate, checkName, parseFilter, parseFind, parseUpdate, type ParsedUpdate } from './query.js'
import { orderSql, pageSql, whereSql, type Param } from './sqlite-sql.js'
import type { Collection, Doc, Filter, FindAndUpdateOptions, FindOptions, Update } from './types.js'

/** Codes that mean "the file cannot be used right now", as opposed to a bug in the query. */
const UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY|CORRUPT|NOTADB|PROTOCOL)/

/** Maps driver errors to the store's typed errors; our own validation errors pass through. */
export function mapSqliteError(err: unknown, uniqueIndexes: Map<string, string[]>): unknown {
  if (err instanceof Database.SqliteError) {
    if (err.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return new DuplicateKeyError(['_id'])
    if (err.code === 'SQLITE_CONSTRAINT_UNIQUE') {
      // Expression indexes report themselves as "UNIQUE constraint failed: index 'name'".
      const name = /index '([^']+)'/.exec(err.message)?.[1]
      return new DuplicateKeyError((name !== undefined ? uniqueIndexes.get(name) : undefined) ?? [])
    }
    if (UNAVAILABLE.test(err.code)) return new StoreUnavailable(err)
    return new Error(`store: sqlite failed (${err.code})`, { cause: err })
  }
  // better-sqlite3 throws a TypeError once the connection is closed.
  if (err instanceof TypeError && /database connection is not open/.test(err.message)) return new StoreUnavailable(err)
  return err
}

interface Row { _id: string; doc: string }

export class SqliteCollection<T extends Doc> implements Collection<T> {
  /** Compiled statements by SQL text: a filter's shape repeats far more often than it changes. */
  private readonly statements = new Map<string, Database.Statement>()
  private readonly updateTx: (where: string, params: Param[], u: ParsedUpdate, limit: number) => { before: T; after: T }[]

  constructor(
    private readonly db: Database.Database,
    private readonly table: string,
    private readonly expiresAt: string | undefined,
    private readonly uniqueIndexes: Map<string, string[]>,
    private readonly purgeExpired: () => void,
  ) {
    const tx = db.transaction((where: string, params: Param[], u: ParsedUpdate, limit: number) => {
      const rows = this.prepare(`SELECT _id, doc FROM "${this.table}" WHERE ${where}${limit > 0 ? ` LIMIT ${limit}` : ''}`).all(...params) as Row[]
      const write = this.prepare(`UPDATE "${this.table}" SET doc = ? WHERE _id = ?`)
      return rows.map((row) => {
        const before = JSON.parse(row.doc) as T
        const after = applyUpdate(before, u)
        write.run(JSON.stringify(after), row._id)
        return { before, after }
      })
    })
    // IMMEDIATE takes the write lock before reading, so no other process can change the rows
    // between the filter check and the write: that is what makes findOneAndUpdate atomic.
    this.updateTx = (...args) => tx.immediate(...args)
  }

  private prepare(sql: string): Database.Statement {
    let statement = this.statements.get(sql)
    if (statement === undefined) {
      if (this.statements.size >= 200) this.statements.clear() // bounded; rebuilding is cheap
      statement = this.db.prepare(sql)
      this.statements.set(sql, statement)
    }
    return statement
  }

  /** Runs a synchronous driver call, translating its errors. */
  private run<R>(fn: () => R): R {
    try {
      return fn()
    } catch (err) {
      throw mapSqliteError(err, this.uniqueIndexes)
    }
  }

  private where(filter: Filter<T>, params: Param[]): string {
    return whereSql(parseFilter(filter), this.expiresAt, Date.now(), params)
  }

  async insertOne(doc: T): Promise<void> {
    if (typeof doc._id !== 'string' || doc._id === '') throw new Error('store: _id must be a non-empty string')
    for (const field of Object.keys(doc)) checkName(field)
    const json = JSON.stringify(doc)
    const insert = (): void => { this.prepare(`INSERT INTO "${this.table}" (_id, doc) VALUES (?, ?)`).run(doc._id, json) }
    try {
      this.run(insert)
    } catch (err) {
      // An expired but not yet swept document still holds its keys; purge and try once more.
      if (!(err instanceof DuplicateKeyError) || this.expiresAt === undefined) throw err
      this.run(this.purgeExpired)
      this.run(insert)
    }
  }

  async find(filter: Filter<T>, options?: FindOptions<T>): Promise<T[]> {
    const { sort, limit, skip } = parseFind(options)
    const params: Param[] = []
    const sql = `SELECT doc FROM "${this.table}" WHERE ${this.where(filter, params)}${orderSql(sort)}${pageSql(limit, skip, params)}`
    const rows = this.run(() => this.prepare(sql).pluck().all(...params) as string[])
    return rows.map((json) => JSON.parse(json) as T)
  }

  async findOne(filter: Filter<T>, options?: FindOptions<T>): Promise<T | null> {
    const [doc] = await this.find(filter, { ...options, limit: 1 })
    return doc ?? null
  }

  async count(filter: Filter<T>): Promise<number> {
    const params: Param[] = []
    const sql = `SELECT COUNT(*) FROM "${this.table}" WHERE ${this.where(filter, params)}`
    return this.run(() => this.prepare(sql).pluck().get(...params) as number)
  }

  private update(filter: Filter<T>, update: Update<T>, limit: number): { before: T; after: T }[] {
    const u = parseUpdate(update)
    // Refused as in the MongoDB adapter, which must keep a Date copy of the expiry in step.
    if (u.inc.some(([f]) => f === this.expiresAt)) throw new Error(`store: use $set, not $inc, on the expiry field ${String(this.expiresAt)}`)
    const params: Param[] = []
    const where = this.where(filter, params)
    return this.run(() => this.updateTx(where, params, u, limit))
  }

  async updateOne(filter: Filter<T>, update: Update<T>): Promise<number> {
    return this.update(filter, update, 1).length
  }

  async updateMany(filter: Filter<T>, update: Update<T>): Promise<number> {
    return this.update(filter, update, 0).length
  }

  async findOneAndUpdate(filter: Filter<T>, update: Update<T>, options: FindAndUpdateOptions = {}): Promise<T | null> {
    const [hit] = this.update(filter, update, 1)
    if (hit === undefined) return null
    return options.returnDocument === 'before' ? hit.before : hit.after
  }

  async deleteOne(filter: Filter<T>): Promise<number> {
    const params: Param[] = []
    const sql = `DELETE FROM "${this.table}" WHERE _id IN (SELECT _id FROM "${this.table}" WHERE ${this.where(filter, params)} LIMIT 1)`
    return this.run(() => this.prepare(sql).run(...params).changes)
  }

  async deleteMany(filter: Filter<T>): Promise<number> {
    const params: Param[] = []
    const sql = `DELETE FROM "${this.table}" WHERE ${this.where(filter, params)}`
    return this.run(() => this.prepare(sql).run(...params).changes)
  }
}
