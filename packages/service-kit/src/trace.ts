import { randomFillSync } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import { parseTraceParent } from '@opentelemetry/core'

/** W3C trace context of one hop: the caller's trace, and this service's own span within it. */
export interface TraceContext {
  traceId: string
  /** This hop's span; callees name it as their parent. */
  spanId: string
  /** The caller's span, when the request came with a valid `traceparent`. */
  parentSpanId: string | undefined
  flags: number
}

// Ids come from a pooled random buffer: one syscall per 256 hops instead of one per id.
const pool = Buffer.alloc(4096)
let offset = pool.length
function randomHex(bytes: number): string {
  if (offset + bytes > pool.length) {
    randomFillSync(pool)
    offset = 0
  }
  const hex = pool.toString('hex', offset, offset + bytes)
  offset += bytes
  return hex
}

/**
 * Joins the caller's trace when `traceparent` is valid (W3C Trace Context, parsed by
 * OpenTelemetry), else starts a new one, so every request can be followed through all services.
 */
export function traceOf(headers: IncomingHttpHeaders): TraceContext {
  const given = headers.traceparent
  const parent = typeof given === 'string' ? parseTraceParent(given) : null
  if (parent) return { traceId: parent.traceId, spanId: randomHex(8), parentSpanId: parent.spanId, flags: parent.traceFlags & 0x01 /* W3C level 1: only `sampled`; unknown flags are zeroed */ }
  return { traceId: randomHex(16), spanId: randomHex(8), parentSpanId: undefined, flags: 1 }
}

/** The `traceparent` this hop sends to the services it calls. */
export function traceparentOf(trace: TraceContext): string {
  return `00-${trace.traceId}-${trace.spanId}-${trace.flags.toString(16).padStart(2, '0')}`
}
