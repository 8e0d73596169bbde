/**
 * MongoDB adapter (official driver), one database per service. Uses only what FerretDB v1
 * also implements — plain CRUD, findOneAndUpdate, unique indexes — so CI can run the contract
 * suite against FerretDB; transactions are never needed (DESIGN §11).
 */
import { MongoClient, MongoServerError, type Db } from 'mongodb'
import { checkName } from './query.js'
import { mapMongoError } from './mongo-errors.js'
import { watchHeartbeats, type HeartbeatSource } from './mongo-watchdog.js'
import { EXPIRE_AT, MongoCollection } from './mongo-collection.js'
import type { Collection, CollectionSpec, Doc, Store } from './types.js'

export interface MongoStoreOptions {
  uri: string
  database: string
  /** How long an operation waits for a usable server before StoreUnavailable; default 5000. */
  serverSelectionTimeoutMS?: number
  /** Sweep period where the server refuses TTL indexes (FerretDB v1); default 60000. */
  sweepIntervalMs?: number
}

export async function openMongoStore(options: MongoStoreOptions): Promise<Store> {
  const database = checkName(options.database, 'database')
  const timeout = options.serverSelectionTimeoutMS ?? 5000
  const client = new MongoClient(options.uri, {
    serverSelectionTimeoutMS: timeout,
    connectTimeoutMS: timeout,
    // `{ $set: { x: undefined } }` leaves x alone instead of writing null, as in the SQLite adapter.
    ignoreUndefined: true,
    retryWrites: true,
    appName: 'claraverse',
  })
  try {
    // Connect now so a wrong URI or a down server fails at boot, not at the first request.
    await client.connect()
  } catch (err) {
    await client.close().catch(() => {})
    throw mapMongoError(err)
  }
  return new MongoStore(client, client.db(database), options.sweepIntervalMs ?? 60_000, timeout)
}

/** FerretDB v1 answers NotImplemented (238) to `expireAfterSeconds`. */
function ttlUnsupported(err: unknown): boolean {
  return err instanceof MongoServerError && (err.code === 238 || /not implemented/i.test(err.message))
}

class MongoStore implements Store {
  readonly kind = 'mongodb' as const
  /** Collections whose server refused a TTL index, with their expiry fields: swept by us. */
  private readonly sweepable = new Map<string, string>()
  private readonly sweeper: NodeJS.Timeout
  private readonly unwatch: () => void
  private closed = false

  constructor(private readonly client: MongoClient, private readonly db: Db, sweepIntervalMs: number, connectTimeoutMS: number) {
    this.sweeper = setInterval(() => void this.sweep(), sweepIntervalMs)
    this.sweeper.unref()
    // A server check outlives its connect and handshake timeouts only when the driver is wedged:
    // a fresh topology (same client, so every collection follows) is then the way back.
    this.unwatch = watchHeartbeats(client as unknown as HeartbeatSource, 2 * connectTimeoutMS + 1000, async () => {
      if (this.closed) return
      await client.close()
      if (!this.closed) await client.connect()
    })
  }

  async collection<T extends Doc>(name: string, spec: CollectionSpec = {}): Promise<Collection<T>> {
    checkName(name, 'collection')
    const coll = this.db.collection(name)
    const uniqueIndexes = new Map<string, string[]>()
    try {
      for (const index of spec.indexes ?? []) {
        if (index.fields.length === 0) throw new Error(`store: an index on ${name} has no fields`)
        const fields = index.fields.map((f) => checkName(f))
        if (fields.length === 1 && fields[0] === '_id') continue
        const indexName = `${fields.join('__')}${index.unique ? '__unique' : ''}`
        await coll.createIndex(Object.fromEntries(fields.map((f) => [f, 1])), { name: indexName, unique: index.unique === true })
        if (index.unique) uniqueIndexes.set(indexName, fields)
      }
      if (spec.expiresAtField !== undefined) {
        const field = checkName(spec.expiresAtField)
        try {
          // The TTL monitor needs a BSON Date, hence the shadow field kept beside the number.
          await coll.createIndex({ [EXPIRE_AT]: 1 }, { name: `${field}__ttl`, expireAfterSeconds: 0 })
        } catch (err) {
          if (!ttlUnsupported(err)) throw err
          await coll.createIndex({ [field]: 1 }, { name: `${field}__expiry` })
          this.sweepable.set(name, field)
        }
      }
    } catch (err) {
      throw mapMongoError(err)
    }
    return new MongoCollection<T>(coll, spec.expiresAtField, uniqueIndexes)
  }

  async ping(): Promise<void> {
    try {
      await this.db.command({ ping: 1 })
    } catch (err) {
      throw mapMongoError(err)
    }
  }

  async close(): Promise<void> {
    this.closed = true
    this.unwatch()
    clearInterval(this.sweeper)
    await this.client.close()
  }

  private async sweep(): Promise<void> {
    for (const [name, field] of this.sweepable) {
      // Failures are left to the next sweep; reads hide expired documents meanwhile.
      await this.db.collection(name).deleteMany({ [field]: { $lte: Date.now() } }).catch(() => {})
    }
  }
}
