import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'

/** DESIGN §8. `not_before` is epoch seconds: tokens issued before it are revoked. */
export const Revoked = Type.Object({
  user_id: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  sid: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  not_before: Type.Number({ minimum: 0 }),
}, { additionalProperties: false })

export const UserDeleted = Type.Object({
  user_id: Type.String({ minLength: 1, maxLength: 200 }),
}, { additionalProperties: false })

/** A chat stream event for one user's sockets on every app replica. */
export const ChatEvent = Type.Object({
  type: Type.String({ minLength: 1, maxLength: 64 }),
  conversation_id: Type.Optional(Type.String({ maxLength: 200 })),
  /** The replica that produced it, so that replica does not deliver it twice. */
  origin: Type.Optional(Type.String({ maxLength: 100 })),
}, { additionalProperties: true })

export type RevokedEvent = Static<typeof Revoked>
export type UserDeletedEvent = Static<typeof UserDeleted>
export type ChatStreamEvent = Static<typeof ChatEvent> & Record<string, unknown>

export type ChatChannel = `app.chat.${string}`
export type Channel = 'auth.revoked' | 'auth.user.deleted' | ChatChannel

export type EventOf<C extends Channel> =
  C extends 'auth.revoked' ? RevokedEvent :
  C extends 'auth.user.deleted' ? UserDeletedEvent :
  ChatStreamEvent

export const chatChannel = (userId: string): ChatChannel => `app.chat.${userId}`

/** Events on the wire carry a version, so a newer publisher cannot confuse an older reader. */
export const ENVELOPE_VERSION = 1
export interface Envelope {
  v: number
  channel: string
  at: number
  data: unknown
}

const compile = <T extends TSchema>(s: T): TypeCheck<T> => TypeCompiler.Compile(s)
const checks = {
  'auth.revoked': compile(Revoked),
  'auth.user.deleted': compile(UserDeleted),
  chat: compile(ChatEvent),
}

function checkFor(channel: string): TypeCheck<TSchema> | undefined {
  if (channel === 'auth.revoked' || channel === 'auth.user.deleted') return checks[channel]
  if (channel.startsWith('app.chat.') && channel.length > 'app.chat.'.length) return checks.chat
  return undefined
}

export function encode(channel: Channel, data: unknown, now = Date.now()): string {
  const envelope: Envelope = { v: ENVELOPE_VERSION, channel, at: now, data }
  return JSON.stringify(envelope)
}

/** Parses and validates one received message; returns a reason instead of throwing. */
export function decode(channel: string, text: string): { ok: true; data: unknown } | { ok: false; reason: string } {
  let envelope: Partial<Envelope>
  try {
    envelope = JSON.parse(text) as Partial<Envelope>
  } catch {
    return { ok: false, reason: 'not JSON' }
  }
  if (typeof envelope !== 'object' || envelope === null) return { ok: false, reason: 'not an envelope' }
  if (envelope.v !== ENVELOPE_VERSION) return { ok: false, reason: `unsupported version ${String(envelope.v)}` }
  if (envelope.channel !== channel) return { ok: false, reason: 'channel mismatch' }
  const check = checkFor(channel)
  if (!check) return { ok: false, reason: 'unknown channel' }
  if (!check.Check(envelope.data)) {
    const first = check.Errors(envelope.data).First()
    return { ok: false, reason: `invalid payload${first ? `: ${first.path || '/'} ${first.message}` : ''}` }
  }
  if (channel === 'auth.revoked') {
    const r = envelope.data as RevokedEvent
    if (r.user_id === undefined && r.sid === undefined) return { ok: false, reason: 'invalid payload: user_id or sid required' }
  }
  return { ok: true, data: envelope.data }
}
