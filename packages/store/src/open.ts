import { openMongoStore } from './mongo.js'
import { openSqliteStore } from './sqlite.js'
import type { Store } from './types.js'

export interface OpenStoreOptions {
  service: 'auth' | 'app'
  /** When set, MongoDB (required in production); otherwise the embedded SQLite file. */
  mongodbUri?: string | undefined
  dataDir: string
  /** Defaults to `claraverse_<service>`: the MongoDB database, or the SQLite file name. */
  database?: string | undefined
  serverSelectionTimeoutMS?: number | undefined
}

/** Picks the adapter from configuration (DESIGN §11); each service owns one database. */
export function openStore(options: OpenStoreOptions): Promise<Store> {
  const database = options.database ?? `claraverse_${options.service}`
  if (options.mongodbUri !== undefined && options.mongodbUri !== '') {
    return openMongoStore({
      uri: options.mongodbUri,
      database,
      ...(options.serverSelectionTimeoutMS !== undefined ? { serverSelectionTimeoutMS: options.serverSelectionTimeoutMS } : {}),
    })
  }
  return openSqliteStore({ dataDir: options.dataDir, database })
}
