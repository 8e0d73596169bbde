import { Type, type TSchema } from '@sinclair/typebox'

/** `page` and `page_size` as every list endpoint takes them; the page size is bounded. */
export const Pagination = {
  page: Type.Integer({ minimum: 1, maximum: 100_000, default: 1 }),
  page_size: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
}

export const PageQuery = Type.Object(Pagination, { additionalProperties: false })

/** DESIGN §7: every list answers `{<plural>: [...], total_count, page, page_size}`. */
export function ListOf<K extends string, T extends TSchema>(plural: K, item: T) {
  return Type.Object({
    [plural]: Type.Array(item),
    total_count: Type.Integer(),
    page: Type.Integer(),
    page_size: Type.Integer(),
  } as { [P in K]: ReturnType<typeof Type.Array<T>> } & Record<'total_count' | 'page' | 'page_size', ReturnType<typeof Type.Integer>>)
}
