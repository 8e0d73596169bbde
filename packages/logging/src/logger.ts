import { pino, type Logger, type DestinationStream, type LoggerOptions } from 'pino'
import { redactPaths, redactUrl, REDACTED } from './redact.js'

export interface LoggerSettings {
  name: string
  level?: string
  /** Where lines go; stdout by default. Tests pass a stream to read them back. */
  destination?: DestinationStream
}

interface RequestLike {
  method?: string
  url?: string
  id?: unknown
  ip?: string
  headers?: Record<string, unknown>
}

/** Request serializer: method, redacted URL, id and address; headers are left out on purpose. */
function serializeRequest(req: RequestLike): Record<string, unknown> {
  return { method: req.method, url: typeof req.url === 'string' ? redactUrl(req.url) : undefined, id: req.id, ip: req.ip }
}

export function loggerOptions(settings: LoggerSettings): LoggerOptions {
  return {
    name: settings.name,
    level: settings.level ?? 'info',
    redact: { paths: redactPaths, censor: REDACTED },
    serializers: { req: serializeRequest, err: pino.stdSerializers.err },
  }
}

export function createLogger(settings: LoggerSettings): Logger {
  return settings.destination ? pino(loggerOptions(settings), settings.destination) : pino(loggerOptions(settings))
}

export type { Logger }

/** The logging surface domain code needs; both pino and Fastify's request/instance loggers fit. */
export type Log = Pick<Logger, 'error' | 'warn' | 'info' | 'debug'>
