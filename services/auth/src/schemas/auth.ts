import { Type, type Static } from '@sinclair/typebox'
import { optionalBody } from '@claraverse/service-kit'

// Generous caps: the real rules (length 8..256 after NFKC, email shape) give clearer messages.
export const Credentials = Type.Object({
  email: Type.String({ minLength: 1, maxLength: 512 }),
  password: Type.String({ minLength: 1, maxLength: 2048 }),
}, { additionalProperties: false })
export type CredentialsBody = Static<typeof Credentials>

export const User = Type.Object({
  id: Type.String(),
  email: Type.String(),
  email_verified: Type.Boolean(),
  role: Type.Union([Type.Literal('user'), Type.Literal('admin')]),
  created_at: Type.String(),
  last_login_at: Type.Union([Type.String(), Type.Null()]),
})

export const TokenPair = Type.Object({
  access_token: Type.String(),
  refresh_token: Type.String(),
  expires_in: Type.Integer(),
})

export const AuthResult = Type.Composite([TokenPair, Type.Object({ user: User })])

export const RefreshBody = optionalBody(Type.Object({
  refresh_token: Type.Optional(Type.String({ maxLength: 8192 })),
}, { additionalProperties: false }))
export type RefreshBodyType = Static<typeof RefreshBody>

export const Message = Type.Object({ message: Type.String() })

export const Status = Type.Object({ has_users: Type.Boolean() })
