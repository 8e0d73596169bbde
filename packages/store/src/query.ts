/**
 * Validation and normalisation shared by both adapters, so a filter or update means the same on
 * each and anything outside the small documented language is refused rather than half-supported.
 */
import type { Scalar } from './types.js'

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/** Field and collection names end up inside SQL text and Mongo paths; only plain names pass. */
export function checkName(name: string, what = 'field'): string {
  if (!NAME.test(name)) throw new Error(`store: invalid ${what} name ${JSON.stringify(name)}`)
  return name
}

export type Op = '$eq' | '$ne' | '$in' | '$gt' | '$gte' | '$lt' | '$lte' | '$exists'
const OPS = new Set<string>(['$eq', '$ne', '$in', '$gt', '$gte', '$lt', '$lte', '$exists'])

export type Condition =
  | { field: string; op: '$eq' | '$ne' | '$gt' | '$gte' | '$lt' | '$lte'; value: Scalar }
  | { field: string; op: '$in'; value: Scalar[] }
  | { field: string; op: '$exists'; value: boolean }

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function scalar(field: string, v: unknown): Scalar {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v
  if (typeof v === 'number' && Number.isFinite(v)) return v
  // `undefined` above all: `{ email: undefined }` would otherwise match every document.
  throw new Error(`store: filter on ${field} needs a string, finite number, boolean or null`)
}

/** Turns a filter into a flat AND-list of conditions; throws on anything it does not know. */
export function parseFilter(filter: object): Condition[] {
  if (!isPlainObject(filter)) throw new Error('store: a filter must be an object')
  const out: Condition[] = []
  for (const [field, v] of Object.entries(filter)) {
    checkName(field)
    if (!isPlainObject(v)) {
      out.push({ field, op: '$eq', value: scalar(field, v) })
      continue
    }
    const ops = Object.entries(v)
    if (ops.length === 0) throw new Error(`store: empty operator object for ${field}`)
    for (const [op, arg] of ops) {
      if (!OPS.has(op)) throw new Error(`store: unsupported operator ${op} on ${field}`)
      if (op === '$in') {
        if (!Array.isArray(arg)) throw new Error(`store: $in on ${field} needs an array`)
        out.push({ field, op, value: arg.map((x) => scalar(field, x)) })
      } else if (op === '$exists') {
        if (typeof arg !== 'boolean') throw new Error(`store: $exists on ${field} needs a boolean`)
        out.push({ field, op, value: arg })
      } else {
        out.push({ field, op: op as '$eq', value: scalar(field, arg) })
      }
    }
  }
  return out
}

export interface ParsedUpdate {
  set: [string, unknown][]
  unset: string[]
  inc: [string, number][]
}

/** Checks an update; fields may appear once across operators and `_id` never changes. */
export function parseUpdate(update: object): ParsedUpdate {
  if (!isPlainObject(update)) throw new Error('store: an update must be an object')
  const seen = new Set<string>()
  const claim = (field: string): string => {
    checkName(field)
    if (field === '_id') throw new Error('store: _id cannot be updated')
    if (seen.has(field)) throw new Error(`store: ${field} appears twice in one update`)
    seen.add(field)
    return field
  }
  const parsed: ParsedUpdate = { set: [], unset: [], inc: [] }
  for (const [op, body] of Object.entries(update)) {
    if (body === undefined) continue
    if (!isPlainObject(body)) throw new Error(`store: ${op} needs an object`)
    for (const [field, v] of Object.entries(body)) {
      // Both adapters drop undefined, as JSON.stringify does and as the Mongo client is told to.
      if (v === undefined) continue
      if (op === '$set') parsed.set.push([claim(field), v])
      else if (op === '$unset') parsed.unset.push(claim(field))
      else if (op === '$inc') {
        if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`store: $inc on ${field} needs a finite number`)
        parsed.inc.push([claim(field), v])
      } else throw new Error(`store: unsupported update operator ${op}`)
    }
  }
  if (seen.size === 0) throw new Error('store: empty update')
  return parsed
}

export interface ParsedFind {
  sort: [string, 1 | -1][]
  limit: number | undefined
  skip: number | undefined
}

export function parseFind(options: { sort?: object; limit?: number; skip?: number } = {}): ParsedFind {
  const sort: [string, 1 | -1][] = []
  for (const [field, dir] of Object.entries(options.sort ?? {})) {
    if (dir === undefined) continue
    if (dir !== 1 && dir !== -1) throw new Error(`store: sort on ${field} must be 1 or -1`)
    sort.push([checkName(field), dir])
  }
  const count = (name: string, v: number | undefined): number | undefined => {
    if (v === undefined) return undefined
    if (!Number.isSafeInteger(v) || v < 0) throw new Error(`store: ${name} must be a non-negative integer`)
    // As in MongoDB, a limit of 0 means no limit.
    return v === 0 ? undefined : v
  }
  return { sort, limit: count('limit', options.limit), skip: count('skip', options.skip) }
}

/** Applies a checked update to a document in memory (the SQLite adapter does so in a transaction). */
export function applyUpdate<T extends { _id: string }>(doc: T, u: ParsedUpdate): T {
  const next: Record<string, unknown> = { ...doc }
  for (const [field, v] of u.set) next[field] = v
  for (const field of u.unset) delete next[field]
  for (const [field, by] of u.inc) {
    const cur = next[field]
    if (cur === undefined) next[field] = by
    else if (typeof cur === 'number') next[field] = cur + by
    else throw new Error(`store: cannot $inc ${field}, which is not a number`)
  }
  return next as T
}
