import { head, type Case, type Credentials } from './corpus.js'

/**
 * Proxy-path cases the corpus found broken, fixed in gateway/src (expect header, chunked bodies
 * over the limit, hop-by-hop headers, malformed preflights): kept apart because each needs its
 * own connection handling.
 */
export function proxyCases(c: Credentials): Case[] {
  const big = 2 * 1024 * 1024
  const chunked = Buffer.concat([Buffer.from(`${big.toString(16)}\r\n`), Buffer.alloc(big, 'x'), Buffer.from('\r\n0\r\n\r\n')])
  const out: Case[] = []
  for (const [i, [method, path, token]] of ([['POST', '/api/auth/login', undefined], ['POST', '/api/agents', c.member], ['PUT', '/api/chats/corpus_expect', c.member]] as const).entries()) {
    const auth: Array<[string, string]> = token ? [['authorization', `Bearer ${token}`]] : []
    out.push({
      group: 'expect-100-continue', name: `${method} ${path} with Expect: 100-continue`, expect: { kind: 'error' },
      head: head(method, path, [...auth, ['content-type', 'application/json'], ['expect', '100-continue'], ['x-request-id', `expect-${i}`]], '{"bad":'),
    })
    // Keep-alive, as real clients send: on a connection the client asked to close, an answer sent
    // while the upload goes on can be lost to the reset that closing with unread bytes causes.
    out.push({
      group: 'huge', name: `${method} ${path} with 2 MiB chunked`, expect: { kind: 'error', status: 413 }, body: chunked, responses: 1,
      head: head(method, path, [...auth, ['content-type', 'application/json'], ['transfer-encoding', 'chunked'], ['x-request-id', `chunked-${i}`]], undefined, { keepAlive: true }),
    })
  }
  for (const [name, headers] of [
    ['no Access-Control-Request-Method', [['origin', 'http://localhost:3000']]], ['no Origin', [['access-control-request-method', 'POST']]],
    ['neither', []], ['an origin not allowed, no method', [['origin', 'https://evil.example']]],
  ] as Array<[string, Array<[string, string]>]>) {
    out.push({ group: 'cors', name: `OPTIONS /api/auth/login, ${name}`, expect: { kind: 'error' }, head: head('OPTIONS', '/api/auth/login', headers) })
  }
  for (const [method, path, token, body] of [['POST', '/api/auth/refresh', undefined, '{"refresh_token":"x"}'], ['POST', '/api/auth/login', undefined, '[]'], ['GET', '/api/chats?page=0', c.member, undefined]] as const) {
    const auth: Array<[string, string]> = token ? [['authorization', `Bearer ${token}`]] : []
    out.push({
      group: 'hop-by-hop', name: `${method} ${path} with Connection: close`, closes: true, timeoutMs: 2_000,
      expect: { kind: 'error' }, head: head(method, path, [...auth, ['content-type', 'application/json']], body),
    })
  }
  out.push({ group: 'cors', name: 'OPTIONS *', expect: { kind: 'error' }, head: Buffer.from('OPTIONS * HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n') })
  return out
}

interface LogLine { level?: number }

/** Error-level log lines of the run: every 5xx and every crash logs one. */
export function errorLogs(stdout: string): string[] {
  const lines = stdout.split('\n').filter((l) => l.startsWith('{'))
  const parsed = lines.map((l): LogLine => { try { return JSON.parse(l) as LogLine } catch { return {} } })
  return parsed.flatMap((p, i) => ((p.level ?? 0) < 50 ? [] : [lines[i]!.slice(0, 400)]))
}
