/**
 * Filter and sort translation for the SQLite adapter: documents live as JSON text in `doc`, and
 * every comparison checks the JSON type too, because json_extract flattens true/false to 1/0
 * and returns objects as text, while MongoDB never compares across types. Field names are
 * checked by query.ts before they reach SQL text; values are always bound parameters.
 */
import type { Condition } from './query.js'
import type { Scalar } from './types.js'

export type Param = string | number | null

/** The value of a top-level field; `_id` is its own (primary key) column. */
export function valueOf(field: string): string {
  return field === '_id' ? '_id' : `json_extract(doc, '$.${field}')`
}

/** The JSON type name ('text', 'integer', 'true', 'null', …), or SQL NULL when the field is absent. */
function typeOf(field: string): string {
  return field === '_id' ? `'text'` : `json_type(doc, '$.${field}')`
}

/** Same-type guard plus the bound value for comparing a field with a scalar; null is handled by callers. */
function typed(field: string, v: Exclude<Scalar, null>, params: Param[]): string {
  if (typeof v === 'boolean') {
    params.push(v ? 1 : 0)
    return `${typeOf(field)} IN ('true', 'false') AND ${valueOf(field)}`
  }
  params.push(v)
  const types = typeof v === 'number' ? `IN ('integer', 'real')` : `= 'text'`
  return `${typeOf(field)} ${types} AND ${valueOf(field)}`
}

/** As in MongoDB, equality with null also matches an absent field. */
function eq(field: string, v: Scalar, params: Param[]): string {
  if (v === null) return `${valueOf(field)} IS NULL`
  return `(${typed(field, v, params)} = ?)`
}

const RANGE = { $gt: '>', $gte: '>=', $lt: '<', $lte: '<=' } as const

function condition(c: Condition, params: Param[]): string {
  switch (c.op) {
    case '$eq': return eq(c.field, c.value, params)
    // COALESCE: a NULL from a missing field must not turn NOT into NULL (which reads as false).
    case '$ne': return `NOT COALESCE(${eq(c.field, c.value, params)}, 0)`
    case '$in': return c.value.length === 0 ? '0' : `(${c.value.map((v) => eq(c.field, v, params)).join(' OR ')})`
    case '$exists': return `${typeOf(c.field)} IS ${c.value ? 'NOT ' : ''}NULL`
    default: {
      // MongoDB: {$gte: null} and {$lte: null} match null or absent, {$gt: null} and {$lt: null} nothing.
      if (c.value === null) return c.op === '$gte' || c.op === '$lte' ? `${valueOf(c.field)} IS NULL` : '0'
      return `(${typed(c.field, c.value, params)} ${RANGE[c.op]} ?)`
    }
  }
}

/** A field holding an epoch-ms number at or before `now`: expired. */
export function expiredSql(field: string): string {
  return `(${typeOf(field)} IN ('integer', 'real') AND ${valueOf(field)} <= ?)`
}

/** WHERE clause for the conditions, excluding expired documents when the collection expires them. */
export function whereSql(conditions: Condition[], expiresAt: string | undefined, now: number, params: Param[]): string {
  const parts = conditions.map((c) => condition(c, params))
  if (expiresAt !== undefined) {
    parts.push(`NOT COALESCE(${expiredSql(expiresAt)}, 0)`)
    params.push(now)
  }
  return parts.length === 0 ? '1' : parts.join(' AND ')
}

export function orderSql(sort: [string, 1 | -1][]): string {
  if (sort.length === 0) return ''
  return ` ORDER BY ${sort.map(([f, d]) => `${valueOf(f)} ${d === 1 ? 'ASC' : 'DESC'}`).join(', ')}`
}

export function pageSql(limit: number | undefined, skip: number | undefined, params: Param[]): string {
  if (limit === undefined && skip === undefined) return ''
  // SQLite needs a LIMIT before OFFSET; -1 means none.
  params.push(limit ?? -1, skip ?? 0)
  return ' LIMIT ? OFFSET ?'
}
