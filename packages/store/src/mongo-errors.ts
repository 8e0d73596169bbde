import {
  MongoClientClosedError, MongoError, MongoNetworkError, MongoNotConnectedError, MongoOperationTimeoutError,
  MongoServerClosedError, MongoServerError, MongoServerSelectionError, MongoStalePrimaryError, MongoTopologyClosedError,
} from 'mongodb'
import { DuplicateKeyError, StoreUnavailable } from './errors.js'

const DUPLICATE_CODES = new Set([11000, 11001, 12582])

/** Server codes meaning "try later": stepdowns, shutdowns, unreachable hosts, bad credentials. */
const UNAVAILABLE_CODES = new Set([6, 7, 18, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436])

const UNAVAILABLE_CLASSES = [
  MongoNetworkError, MongoServerSelectionError, MongoTopologyClosedError, MongoClientClosedError,
  MongoNotConnectedError, MongoServerClosedError, MongoOperationTimeoutError, MongoStalePrimaryError,
]

// Pool errors the driver does not export.
const UNAVAILABLE_NAMES = new Set(['MongoPoolClosedError', 'MongoWaitQueueTimeoutError'])

/**
 * Maps driver errors to the store's typed errors, so no driver error reaches a route handler as
 * an anonymous 500; our own validation errors pass through untouched.
 */
export function mapMongoError(err: unknown, uniqueIndexes: Map<string, string[]> = new Map()): unknown {
  if (!(err instanceof MongoError)) return err
  if (err instanceof MongoServerError && typeof err.code === 'number' && DUPLICATE_CODES.has(err.code)) {
    return new DuplicateKeyError(duplicateFields(err, uniqueIndexes))
  }
  if (err instanceof MongoServerError && /UNIQUE constraint failed/.test(err.message)) {
    // FerretDB v1 reports a unique violation by an update as InternalError quoting SQLite,
    // which names the index `<table>_<hash>_<our index name>`.
    const quoted = /UNIQUE constraint failed: index '([^']+)'/.exec(err.message)?.[1] ?? ''
    const hits = [...uniqueIndexes].filter(([name]) => quoted.endsWith(`_${name}`))
    hits.sort((a, b) => b[0].length - a[0].length)
    return new DuplicateKeyError(hits[0]?.[1] ?? [])
  }
  if (UNAVAILABLE_CLASSES.some((c) => err instanceof c) || UNAVAILABLE_NAMES.has(err.name)) return new StoreUnavailable(err)
  if (typeof err.code === 'number' && UNAVAILABLE_CODES.has(err.code)) return new StoreUnavailable(err)
  return new Error(`store: mongodb failed (${err instanceof MongoServerError ? (err.codeName ?? err.code) : (err.code ?? err.name)})`, { cause: err })
}

/** MongoDB names the key pattern or the index; FerretDB names neither (the caller then probes). */
function duplicateFields(err: MongoServerError, uniqueIndexes: Map<string, string[]>): string[] {
  const pattern: unknown = err['keyPattern']
  if (typeof pattern === 'object' && pattern !== null) return Object.keys(pattern)
  const name = /index: (\S+)/.exec(err.message)?.[1]
  if (name === '_id_') return ['_id']
  return (name !== undefined ? uniqueIndexes.get(name) : undefined) ?? []
}
