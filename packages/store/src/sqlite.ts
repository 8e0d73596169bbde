/**
 * Embedded store: one SQLite file per service under the data directory, one table per
 * collection holding each document as JSON. Uniqueness is enforced by SQLite itself (unique
 * expression indexes), so it holds across processes sharing the file too.
 */
import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import { StoreUnavailable } from './errors.js'
import { checkName } from './query.js'
import { SqliteCollection, mapSqliteError } from './sqlite-collection.js'
import { expiredSql, valueOf } from './sqlite-sql.js'
import type { Collection, CollectionSpec, Doc, Store } from './types.js'

export interface SqliteStoreOptions {
  dataDir: string
  /** File name without extension, e.g. `claraverse_auth`. */
  database: string
  /** How long a write waits for another process's lock before StoreUnavailable; default 5000. */
  busyTimeoutMs?: number
  /** How often expired documents are deleted; default 60000. Reads hide them meanwhile. */
  sweepIntervalMs?: number
}

export async function openSqliteStore(options: SqliteStoreOptions): Promise<Store> {
  checkName(options.database, 'database') // it becomes a file name
  let db: Database.Database
  try {
    fs.mkdirSync(options.dataDir, { recursive: true })
    db = new Database(path.join(options.dataDir, `${options.database}.sqlite`))
    // WAL: readers never block the writer, and a crash cannot corrupt committed data.
    db.pragma('journal_mode = WAL')
    // In WAL mode NORMAL syncs at checkpoints, not on every commit: a power cut may lose the
    // last commits but never corrupts the file, and each write stops blocking the event loop
    // on an fsync (measured: login p99 event-loop delay 21.6 ms with FULL).
    db.pragma('synchronous = NORMAL')
    db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000))}`)
  } catch (err) {
    throw new StoreUnavailable(err)
  }
  return new SqliteStore(db, options.sweepIntervalMs ?? 60_000)
}

class SqliteStore implements Store {
  readonly kind = 'sqlite' as const
  /** Collection → its expiry field, for the sweep. */
  private readonly expiring = new Map<string, string>()
  private readonly sweeper: NodeJS.Timeout

  constructor(private readonly db: Database.Database, sweepIntervalMs: number) {
    this.sweeper = setInterval(() => this.sweep(), sweepIntervalMs)
    // The sweep is housekeeping; it must never keep a process (or a test) alive.
    this.sweeper.unref()
  }

  async collection<T extends Doc>(name: string, spec: CollectionSpec = {}): Promise<Collection<T>> {
    checkName(name, 'collection')
    const uniqueIndexes = new Map<string, string[]>()
    try {
      this.db.exec(`CREATE TABLE IF NOT EXISTS "${name}" (_id TEXT PRIMARY KEY, doc TEXT NOT NULL)`)
      for (const index of spec.indexes ?? []) {
        if (index.fields.length === 0) throw new Error(`store: an index on ${name} has no fields`)
        const fields = index.fields.map((f) => checkName(f))
        if (fields.length === 1 && fields[0] === '_id') continue // the primary key already is one
        const indexName = `${name}__${fields.join('__')}${index.unique ? '__unique' : ''}`
        const kind = index.unique ? 'UNIQUE INDEX' : 'INDEX'
        this.db.exec(`CREATE ${kind} IF NOT EXISTS "${indexName}" ON "${name}" (${fields.map(valueOf).join(', ')})`)
        if (index.unique) uniqueIndexes.set(indexName, fields)
      }
      if (spec.expiresAtField !== undefined) {
        const field = checkName(spec.expiresAtField)
        this.db.exec(`CREATE INDEX IF NOT EXISTS "${name}__${field}__expiry" ON "${name}" (${valueOf(field)})`)
        this.expiring.set(name, field)
      }
    } catch (err) {
      throw mapSqliteError(err, uniqueIndexes)
    }
    return new SqliteCollection<T>(this.db, name, spec.expiresAtField, uniqueIndexes, () => this.sweepOne(name))
  }

  async ping(): Promise<void> {
    try {
      this.db.prepare('SELECT 1').get()
    } catch (err) {
      throw mapSqliteError(err, new Map())
    }
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper)
    if (this.db.open) this.db.close()
  }

  private sweepOne(name: string): void {
    const field = this.expiring.get(name)
    if (field !== undefined) this.db.prepare(`DELETE FROM "${name}" WHERE ${expiredSql(field)}`).run(Date.now())
  }

  private sweep(): void {
    for (const name of this.expiring.keys()) {
      try {
        this.sweepOne(name)
      } catch {
        // Busy or closed: the next sweep retries, and reads hide expired documents meanwhile.
      }
    }
  }
}
