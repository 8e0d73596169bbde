import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import type { Identity } from '@claraverse/identity'

/** The subprotocol the gateway answers with; a token offered as `bearer.<jwt>` is never echoed. */
export const WS_SUBPROTOCOL = 'claraverse.v1'
const BEARER_PROTOCOL = 'bearer.'

/**
 * Where a client's access token may come from: `Authorization: Bearer`, and for WebSocket
 * upgrades also the `token` query parameter (the ClaraVerse web client) or a `bearer.<jwt>`
 * subprotocol (browsers cannot set headers on a WebSocket).
 */
export function presentedToken(request: FastifyRequest, websocket: boolean): string | undefined {
  const auth = request.headers.authorization
  if (auth !== undefined) {
    const m = /^Bearer[ ]+([A-Za-z0-9._~+/=-]+)$/.exec(auth)
    return m?.[1]
  }
  if (!websocket) return undefined
  const q = request.query as Record<string, unknown> | undefined
  const fromQuery = q?.['token']
  if (typeof fromQuery === 'string' && fromQuery.length > 0) return fromQuery
  const protocols = request.headers['sec-websocket-protocol']
  if (typeof protocols === 'string') {
    for (const p of protocols.split(',')) {
      const v = p.trim()
      if (v.startsWith(BEARER_PROTOCOL)) return v.slice(BEARER_PROTOCOL.length)
    }
  }
  return undefined
}

/** Picks the subprotocol to answer a WebSocket client with: ours, or none. */
export function selectProtocol(offered: Set<string>): string | false {
  return offered.has(WS_SUBPROTOCOL) ? WS_SUBPROTOCOL : false
}

/** Removes the token from a WebSocket upgrade's query string before it goes upstream. */
export function stripTokenQuery(search: string): string {
  const params = new URLSearchParams(search.startsWith('?') ? search.slice(1) : search)
  params.delete('token')
  return params.toString()
}

export const DEV_ADMIN: Identity = { sub: 'dev_admin', email: 'dev@localhost', role: 'admin', sid: 'dev_api_key' }

const digest = (v: string): Buffer => createHash('sha256').update(v).digest()

/** Constant-time comparison of a presented DEV_API_KEY (hashing first equalises lengths). */
export function devKeyMatches(given: string | string[] | undefined, key: string): boolean {
  return typeof given === 'string' && timingSafeEqual(digest(given), digest(key))
}
