import { Type, type TSchema } from '@sinclair/typebox'

export const PageQuery = Type.Object({
  page: Type.Integer({ minimum: 1, maximum: 100_000, default: 1 }),
  page_size: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
}, { additionalProperties: false })

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$' }) })

/** DESIGN §7: every list answers `{<plural>: [...], total_count, page, page_size}`. */
export function ListOf<K extends string, T extends TSchema>(plural: K, item: T) {
  return Type.Object({
    [plural]: Type.Array(item),
    total_count: Type.Integer(),
    page: Type.Integer(),
    page_size: Type.Integer(),
  } as { [P in K]: ReturnType<typeof Type.Array<T>> } & Record<'total_count' | 'page' | 'page_size', ReturnType<typeof Type.Integer>>)
}

export const Deleted = Type.Object({ message: Type.String() })

export const iso = (ms: number): string => new Date(ms).toISOString()
