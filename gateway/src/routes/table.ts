import type { ServiceName } from '@claraverse/identity'

export type Access = 'public' | 'user' | 'admin' | 'optional'
/** Tiers a route adds to the ones every request gets (global; public-read or authenticated). */
export type ExtraTier = 'auth' | 'imageProxy' | 'websocket'
export type Upstream = 'auth' | 'app'

export interface RouteRule {
  /** Matches the path itself and everything below it (`/api/chats` and `/api/chats/…`). */
  prefix: string
  upstream: Upstream
  access: Access
  tiers?: ExtraTier[]
  websocket?: boolean
  /** Services the identity assertion is good for: the upstream plus those it calls for the user. */
  audience: ServiceName[]
}

/**
 * DESIGN §3: the one table that decides, for every path, where it goes and what it needs.
 * Adding a route is one line. Gateway-local routes (/health, /ready, JWKS, rate-limit admin)
 * are Fastify routes of their own; anything neither here nor there is a JSON 404.
 */
export const routeTable: readonly RouteRule[] = [
  { prefix: '/api/auth/status', upstream: 'auth', access: 'public', audience: ['auth'] },
  { prefix: '/api/auth/register', upstream: 'auth', access: 'public', tiers: ['auth'], audience: ['auth'] },
  { prefix: '/api/auth/login', upstream: 'auth', access: 'public', tiers: ['auth'], audience: ['auth'] },
  { prefix: '/api/auth/refresh', upstream: 'auth', access: 'public', tiers: ['auth'], audience: ['auth'] },
  // Optional: a bearer token, when valid, tells auth which session to end.
  { prefix: '/api/auth/logout', upstream: 'auth', access: 'optional', audience: ['auth'] },
  { prefix: '/api/auth', upstream: 'auth', access: 'user', audience: ['auth'] },
  { prefix: '/api/admin/me', upstream: 'auth', access: 'admin', audience: ['auth'] },
  { prefix: '/api/admin/users', upstream: 'auth', access: 'admin', audience: ['auth'] },
  { prefix: '/api/admin/audit', upstream: 'auth', access: 'admin', audience: ['auth'] },
  { prefix: '/api/admin/analytics', upstream: 'app', access: 'admin', audience: ['app', 'auth'] },
  { prefix: '/api/chats', upstream: 'app', access: 'user', audience: ['app', 'vault'] },
  { prefix: '/api/agents', upstream: 'app', access: 'user', audience: ['app', 'vault'] },
  { prefix: '/api/workflows', upstream: 'app', access: 'user', audience: ['app', 'vault'] },
  { prefix: '/api/integrations', upstream: 'app', access: 'user', audience: ['app', 'vault'] },
  { prefix: '/api/proxy/image', upstream: 'app', access: 'public', tiers: ['imageProxy'], audience: ['app'] },
  { prefix: '/api/public', upstream: 'app', access: 'public', audience: ['app'] },
  { prefix: '/ws/chat', upstream: 'app', access: 'user', tiers: ['websocket'], websocket: true, audience: ['app', 'vault'] },
]

// Longest prefix first, so /api/auth/login wins over /api/auth.
const ordered = [...routeTable].sort((a, b) => b.prefix.length - a.prefix.length)

/** The rule for a path (no query string), or undefined when nothing in the table serves it. */
export function matchRoute(path: string): RouteRule | undefined {
  for (const rule of ordered) {
    if (path === rule.prefix || (path.startsWith(rule.prefix) && path.charCodeAt(rule.prefix.length) === 47 /* / */)) return rule
  }
  return undefined
}

// Percent-escapes of unreserved characters (letters, digits, - . _ ~): a client never needs them,
// and an upstream router decodes them, so `/api/auth/%6Cogin` would be login there but not here.
const escapedUnreserved = /%(?:4[1-9A-F]|5[0-9A]|6[1-9A-F]|7[0-9A]|3[0-9]|2[DE]|5F|7E)/i
const dotSegment = /(?:^|\/)\.{1,2}(?:\/|$)/

/**
 * The path the route table may judge, or undefined when the gateway and an upstream could
 * read it differently: a bad escape, an escaped unreserved character, `//`, or a dot segment.
 */
export function canonicalPath(rawPath: string): string | undefined {
  if (rawPath.includes('//') || escapedUnreserved.test(rawPath)) return undefined
  let decoded: string
  try {
    decoded = decodeURIComponent(rawPath)
  } catch {
    return undefined
  }
  if (dotSegment.test(decoded)) return undefined
  return rawPath
}
