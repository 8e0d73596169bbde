import net from 'node:net'
import type { Test } from 'tap'

export const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379'
export const MONGODB_URI = process.env['MONGODB_URI'] ?? 'mongodb://127.0.0.1:27017'

/** Resolves true when something accepts TCP connections at the URL's host and port. */
export function reachable(url: string, defaultPort: number, timeoutMs = 1000): Promise<boolean> {
  const u = new URL(url)
  const port = u.port ? Number(u.port) : defaultPort
  const host = u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1'
  return new Promise((resolve) => {
    const socket = net.connect({ host, port })
    const done = (ok: boolean): void => { socket.destroy(); resolve(ok) }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

/**
 * Decides whether a suite that needs a real server runs: reachable → run; unreachable and CI
 * unset → skip with the reason printed; unreachable under CI=true → fail, since CI must
 * provide every server.
 */
export async function needServer(t: Test, what: 'Redis' | 'MongoDB', url: string): Promise<boolean> {
  const ok = await reachable(url, what === 'Redis' ? 6379 : 27017)
  if (ok) return true
  const reason = `${what} is not reachable at ${url}`
  if (process.env['CI'] === 'true') {
    t.fail(`${reason}, and CI=true requires it (.ci/run starts it)`)
  } else {
    t.comment(`skipping: ${reason} (set ${what === 'Redis' ? 'REDIS_URL' : 'MONGODB_URI'} to run these tests)`)
    await t.skip(reason, () => {})
  }
  return false
}
