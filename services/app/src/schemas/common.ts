import { Type } from '@sinclair/typebox'
export { ListOf, PageQuery } from '@claraverse/service-kit'

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$' }) })

export const Deleted = Type.Object({ message: Type.String() })

export const iso = (ms: number): string => new Date(ms).toISOString()
