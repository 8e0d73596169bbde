import type { FastifyRequest } from 'fastify'
import { IDENTITY_HEADER } from '@claraverse/identity'
import { traceparentOf } from '@claraverse/service-kit'

/**
 * Who an internal call is made for: the end user's own assertion (delegation, DESIGN §4), and
 * the request id and W3C trace context, so one request can be followed through every service.
 */
export interface Caller {
  assertion: string
  requestId: string
  traceparent: string
}

export function callerOf(request: FastifyRequest): Caller {
  return { assertion: request.identityAssertion, requestId: request.id, traceparent: traceparentOf(request.trace) }
}

export function callerHeaders(caller: Caller): Record<string, string> {
  return {
    [IDENTITY_HEADER]: caller.assertion,
    'x-request-id': caller.requestId,
    traceparent: caller.traceparent,
  }
}
