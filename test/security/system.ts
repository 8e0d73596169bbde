import { createHmac } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { cleanEnv, spawnNode, type Spawned } from '../helpers/spawn.js'

export const JWT_SECRET = 'c0ffee'.repeat(22).slice(0, 128)

export interface Running {
  proc: Spawned
  url: string
  port: number
}

/** The whole system as `npm start` runs it: one real child process, its own data directory. */
export async function startSystem(limits: Record<string, string>): Promise<Running> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cv-security-'))
  const proc = spawnNode(resolve('packages/cli/dist/bin.js'), ['start'], cleanEnv({
    PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'warn', JWT_SECRET, ...limits,
  }))
  try {
    const [, url] = await proc.waitFor(/running at (http:\/\/127\.0\.0\.1:(\d+))/, 30_000)
    return { proc, url: url!, port: Number(new URL(url!).port) }
  } catch (err) {
    proc.child.kill('SIGKILL')
    throw err
  }
}

export interface JsonReply {
  status: number
  headers: Headers
  body: Record<string, unknown>
}

export async function call(url: string, method: string, path: string, opts: { token?: string; body?: unknown } = {}): Promise<JsonReply> {
  const headers: Record<string, string> = {}
  if (opts.token) headers['authorization'] = `Bearer ${opts.token}`
  if (opts.body !== undefined) headers['content-type'] = 'application/json'
  const res = await fetch(`${url}${path}`, { method, headers, ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}), signal: AbortSignal.timeout(10_000) })
  return { status: res.status, headers: res.headers, body: await res.json() as Record<string, unknown> }
}

const b64 = (v: unknown): string => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url')

/** An HS256-style token signed with `secret` (any header), for tokens the gateway must refuse. */
export function sign(header: Record<string, unknown>, claims: Record<string, unknown>, secret = JWT_SECRET, hash = 'sha256'): string {
  const input = `${b64(header)}.${b64(claims)}`
  return `${input}.${createHmac(hash, secret).update(input).digest('base64url')}`
}

export function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>
}

/** Well-signed or well-shaped tokens, each wrong in one way the gateway checks. */
export function forgedTokens(valid: string): Record<string, string> {
  const base = claimsOf(valid)
  const now = Math.floor(Date.now() / 1000)
  const hs = { alg: 'HS256', typ: 'JWT' }
  return {
    refreshTyp: sign(hs, { ...base, typ: 'refresh' }),
    noTyp: sign(hs, { ...base, typ: undefined }),
    wrongIssuer: sign(hs, { ...base, iss: 'evil' }),
    wrongAudience: sign(hs, { ...base, aud: 'evil' }),
    expired: sign(hs, { ...base, iat: now - 7200, exp: now - 3600 }),
    algNone: `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...base, role: 'admin' })}.`,
    hs512: sign({ alg: 'HS512', typ: 'JWT' }, base, JWT_SECRET, 'sha512'),
    rootRole: sign(hs, { ...base, role: 'root' }),
    noSid: sign(hs, { ...base, sid: undefined }),
    numericSub: sign(hs, { ...base, sub: 42 }),
    wrongSecret: sign(hs, { ...base, role: 'admin' }, 'not-the-secret'),
    rs256Header: sign({ alg: 'RS256', typ: 'JWT' }, base),
    garbageClaims: `${b64(hs)}.${b64('not json')}.${createHmac('sha256', JWT_SECRET).update(`${b64(hs)}.${b64('not json')}`).digest('base64url')}`,
  }
}
