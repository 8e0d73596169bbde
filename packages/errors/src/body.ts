import { isDefinedCode } from './codes.js'

/** The error body of DESIGN §12. Extra fields (e.g. `retry_after`) may follow. */
export interface ErrorBody {
  error: string
  code: string
  request_id: string
  [extra: string]: unknown
}

export interface ErrorReply {
  statusCode: number
  body: ErrorBody
}

interface ErrorLike {
  statusCode?: unknown
  status?: unknown
  code?: unknown
  message?: unknown
  validation?: unknown
  extra?: unknown
}

const codeByStatus: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  408: 'REQUEST_TIMEOUT',
  409: 'CONFLICT',
  411: 'LENGTH_REQUIRED',
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE_ENTITY',
  429: 'RATE_LIMITED',
  431: 'HEADERS_TOO_LARGE',
  502: 'BAD_GATEWAY',
  503: 'SERVICE_UNAVAILABLE',
  504: 'GATEWAY_TIMEOUT',
}

// Fastify's own client errors, renamed to codes that do not leak the framework.
const fastifyCodes: Record<string, { status: number; code: string; message?: string }> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Unsupported content type' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'PAYLOAD_TOO_LARGE', message: 'Request body is too large' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'BAD_REQUEST', message: 'Content-Length does not match the body' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'INVALID_JSON', message: 'Request body is empty' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'INVALID_JSON', message: 'Request body is not valid JSON' },
  FST_ERR_BAD_URL: { status: 400, code: 'BAD_REQUEST', message: 'Malformed URL' },
  FST_ERR_ASYNC_CONSTRAINT: { status: 400, code: 'BAD_REQUEST', message: 'Bad request' },
}

function statusOf(err: ErrorLike): number {
  const s = typeof err.statusCode === 'number' ? err.statusCode : typeof err.status === 'number' ? err.status : 500
  return Number.isInteger(s) && s >= 400 && s <= 599 ? s : 500
}

/**
 * Turns any thrown value into a status and the public error body. 4xx messages are client-facing
 * by nature; 5xx messages are shown only for codes defined with `defineError`, so a driver's or
 * a library's internal message never reaches a client.
 */
export function toErrorReply(thrown: unknown, requestId: string): ErrorReply {
  const err: ErrorLike = typeof thrown === 'object' && thrown !== null ? (thrown as ErrorLike) : {}
  const message = typeof err.message === 'string' && err.message.length > 0 ? err.message : undefined
  const extra = typeof err.extra === 'object' && err.extra !== null ? (err.extra as Record<string, unknown>) : {}
  const mapped = typeof err.code === 'string' ? fastifyCodes[err.code] : undefined
  if (mapped) {
    return reply(mapped.status, mapped.message ?? message ?? 'Bad request', mapped.code, requestId, extra)
  }
  const status = statusOf(err)
  if (err.validation) {
    return reply(status < 500 ? status : 400, message ?? 'Invalid request', 'VALIDATION_FAILED', requestId, extra)
  }
  if (isDefinedCode(err.code)) {
    return reply(status, message ?? err.code, err.code, requestId, extra)
  }
  if (status < 500) {
    // JSON syntax errors from the body parser carry statusCode 400 and no code of ours.
    const code = thrown instanceof SyntaxError ? 'INVALID_JSON' : (codeByStatus[status] ?? 'BAD_REQUEST')
    return reply(status, message ?? 'Bad request', code, requestId, extra)
  }
  const code = codeByStatus[status] ?? 'INTERNAL_ERROR'
  const text = status === 502 || status === 504 ? 'Upstream service failed' : status === 503 ? 'Service unavailable' : 'Internal server error'
  return reply(status, text, code, requestId, {})
}

function reply(statusCode: number, error: string, code: string, requestId: string, extra: Record<string, unknown>): ErrorReply {
  return { statusCode, body: { ...extra, error, code, request_id: requestId } }
}
