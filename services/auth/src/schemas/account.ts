import { Type, type Static } from '@sinclair/typebox'
import { ListOf } from '@claraverse/service-kit'

export const Session = Type.Object({
  id: Type.String(),
  created_at: Type.String(),
  last_used_at: Type.String(),
  expires_at: Type.String(),
  user_agent: Type.String(),
  ip: Type.String(),
  current: Type.Boolean(),
})

export const SessionList = ListOf('sessions', Session)

export const SessionParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) })

export const PasswordChange = Type.Object({
  current_password: Type.String({ minLength: 1, maxLength: 2048 }),
  new_password: Type.String({ minLength: 1, maxLength: 2048 }),
}, { additionalProperties: false })
export type PasswordChangeBody = Static<typeof PasswordChange>
