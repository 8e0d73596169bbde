import { Type, type Static } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'

const Turn = Type.Object({
  role: Type.Union([Type.Literal('system'), Type.Literal('user'), Type.Literal('assistant')]),
  content: Type.String({ maxLength: 100_000 }),
}, { additionalProperties: true })

/**
 * What the ClaraVerse web client sends. Optional fields it adds (model_id, attachments, …) are
 * accepted; history feeds the provider.
 */
export const ClientMessage = Type.Union([
  Type.Object({ type: Type.Literal('ping') }, { additionalProperties: true }),
  Type.Object({
    type: Type.Literal('chat_message'),
    conversation_id: Type.String({ minLength: 1, maxLength: 200 }),
    content: Type.String({ minLength: 1, maxLength: 100_000 }),
    model_id: Type.Optional(Type.String({ maxLength: 200 })),
    system_instructions: Type.Optional(Type.String({ maxLength: 50_000 })),
    history: Type.Optional(Type.Array(Turn, { maxItems: 200 })),
    attachments: Type.Optional(Type.Array(Type.Unknown(), { maxItems: 20 })),
  }, { additionalProperties: true }),
])
export type ClientMessageType = Static<typeof ClientMessage>

export const checkClientMessage = TypeCompiler.Compile(ClientMessage)

export type ServerEvent =
  | { type: 'connected' }
  | { type: 'pong' }
  | { type: 'stream_chunk'; conversation_id: string; content: string }
  | { type: 'stream_end'; conversation_id: string }
  | { type: 'error'; code: string; message: string; conversation_id?: string }

type ErrorEvent = Extract<ServerEvent, { type: 'error' }>

/** Parses one frame; a bad one becomes the error event to send back, never an exception. */
export function parseFrame(raw: string): { ok: true; msg: ClientMessageType } | { ok: false; error: ErrorEvent } {
  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch {
    return { ok: false, error: { type: 'error', code: 'INVALID_JSON', message: 'Messages must be JSON' } }
  }
  const type = typeof value === 'object' && value !== null ? (value as { type?: unknown }).type : undefined
  if (type !== 'ping' && type !== 'chat_message') {
    return { ok: false, error: { type: 'error', code: 'UNKNOWN_TYPE', message: 'Unknown message type' } }
  }
  if (!checkClientMessage.Check(value)) {
    const first = checkClientMessage.Errors(value).First()
    return { ok: false, error: { type: 'error', code: 'INVALID_MESSAGE', message: `Invalid message${first ? `: ${first.path || '/'} ${first.message}` : ''}` } }
  }
  return { ok: true, msg: value }
}
