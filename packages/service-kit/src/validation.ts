import { Type, type TSchema, type TUnion, type TNull } from '@sinclair/typebox'
import { Ajv, type Options } from 'ajv'
import * as addFormatsModule from 'ajv-formats'
import type { FastifySchemaCompiler } from 'fastify'

// ajv-formats is CommonJS with a default export; under NodeNext it arrives wrapped.
type AddFormats = (ajv: Ajv) => Ajv
const addFormats = ((addFormatsModule as unknown as { default: { default?: AddFormats } & AddFormats }).default.default ??
  (addFormatsModule as unknown as { default: AddFormats }).default)

const base: Options = { allErrors: false, removeAdditional: false, useDefaults: true, strict: false }

/**
 * Bodies are validated strictly (a string is never coerced to a number, unknown fields are
 * refused where the schema says so); query strings, params and headers arrive as text, so
 * they are coerced.
 */
export function validatorCompiler(): FastifySchemaCompiler<unknown> {
  const strict = new Ajv({ ...base, coerceTypes: false })
  const coercing = new Ajv({ ...base, coerceTypes: 'array' })
  addFormats(strict)
  addFormats(coercing)
  return ({ schema, httpPart }) => (httpPart === 'body' ? strict : coercing).compile(schema as object)
}

/**
 * Fastify validates a missing body as `null`; a route whose body may be left out (a POST with
 * no body, or `Content-Type: application/json` and nothing after it) declares it with this.
 */
export function optionalBody<T extends TSchema>(schema: T): TUnion<[T, TNull]> {
  return Type.Union([schema, Type.Null()])
}
