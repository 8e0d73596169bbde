import type { FastifyRequest } from 'fastify'
import { MAX_ITEMS } from '../domain/limits.js'
import { atItem, BatchTooLarge, ItemTooLarge } from '../domain/errors.js'

interface SchemaError {
  keyword?: string
  instancePath?: string
}

const ITEM_PATH = /^\/items\/(\d+)(?:\/(\w+))?/

/**
 * Routes attach validation errors instead of throwing them, so this hook can turn the schema's
 * size limits into their own codes and name the failing item; anything else stays
 * VALIDATION_FAILED, with the item index when there is one.
 */
export async function refuseInvalidBatch(request: FastifyRequest): Promise<void> {
  const err = request.validationError
  if (!err) return
  const first = (err.validation as SchemaError[] | undefined)?.[0] ?? {}
  const path = first.instancePath ?? ''
  if (first.keyword === 'maxItems' && path === '/items') throw new BatchTooLarge(`A batch holds at most ${MAX_ITEMS} items; split it`)
  const m = ITEM_PATH.exec(path)
  if (!m) throw err
  const item = Number(m[1])
  if (first.keyword === 'maxLength' && (m[2] === 'plaintext' || m[2] === 'ciphertext')) {
    throw atItem(new ItemTooLarge(`Item ${item}: ${m[2]} is too large`), item)
  }
  throw atItem(err, item)
}

/** All or nothing: the first item that fails fails the batch, and the error names it. */
export function eachItem<T, R>(items: readonly T[], fn: (item: T) => R): R[] {
  return items.map((item, i) => {
    try {
      return fn(item)
    } catch (err) {
      throw atItem(err, i)
    }
  })
}
