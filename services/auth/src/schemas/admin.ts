import { Type, type Static } from '@sinclair/typebox'
import { ListOf, Pagination } from '@claraverse/service-kit'
import { User } from './auth.js'


export const UserQuery = Type.Object({ ...Pagination, search: Type.Optional(Type.String({ maxLength: 320 })) }, { additionalProperties: false })
export type UserQueryType = Static<typeof UserQuery>

export const AdminUser = Type.Composite([User, Type.Object({
  disabled: Type.Boolean(),
  is_superadmin: Type.Boolean(),
  updated_at: Type.String(),
})])

export const AdminUserList = ListOf('users', AdminUser)

export const UserParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) })

export const UserPatch = Type.Object({
  role: Type.Optional(Type.Union([Type.Literal('user'), Type.Literal('admin')])),
  disabled: Type.Optional(Type.Boolean()),
}, { additionalProperties: false, minProperties: 1 })
export type UserPatchType = Static<typeof UserPatch>

export const AuditQuery = Type.Object({
  ...Pagination,
  type: Type.Optional(Type.String({ maxLength: 64 })),
  user_id: Type.Optional(Type.String({ maxLength: 200 })),
}, { additionalProperties: false })

export const AuditEvent = Type.Object({
  id: Type.String(),
  at: Type.String(),
  type: Type.String(),
  actor_id: Type.Union([Type.String(), Type.Null()]),
  target_id: Type.Union([Type.String(), Type.Null()]),
  ip: Type.Union([Type.String(), Type.Null()]),
  details: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()])),
})

export const AuditList = ListOf('events', AuditEvent)

export const AdminMe = Type.Object({
  is_admin: Type.Boolean(),
  is_superadmin: Type.Boolean(),
  user_id: Type.String(),
  email: Type.String(),
})

export const Stats = Type.Object({
  total_users: Type.Integer(),
  admins: Type.Integer(),
  active_sessions: Type.Integer(),
  logins_24h: Type.Integer(),
  failed_logins_24h: Type.Integer(),
})
