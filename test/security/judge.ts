import type { Exchange, RawResponse } from '../helpers/raw-http.js'
import type { Case } from './corpus.js'
import { SMUGGLED_PATH } from './wire.js'

/** A broken rule. */
export interface Problem {
  group: string
  name: string
  problem: string
}

const requestIdShape = /^[A-Za-z0-9._:-]{1,128}$/

/** Problems with one response that should carry the error body of DESIGN §12. */
export function errorBodyProblems(res: RawResponse): string[] {
  const problems: string[] = []
  if (!/^application\/json\b/.test(res.headers['content-type'] ?? '')) problems.push(`content-type ${res.headers['content-type'] ?? '(none)'}`)
  let body: unknown
  try {
    body = JSON.parse(res.body.toString('utf8'))
  } catch {
    return [...problems, `body is not JSON: ${JSON.stringify(res.body.toString('latin1').slice(0, 120))}`]
  }
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>
  if (typeof b['error'] !== 'string' || b['error'] === '') problems.push('no error message')
  if (typeof b['code'] !== 'string' || !/^[A-Z][A-Z0-9_]*$/.test(b['code'])) problems.push(`code ${JSON.stringify(b['code'])}`)
  if (typeof b['request_id'] !== 'string' || !requestIdShape.test(b['request_id'])) problems.push(`request_id ${JSON.stringify(b['request_id'])}`)
  else if (res.headers['x-request-id'] !== undefined && res.headers['x-request-id'] !== b['request_id']) problems.push('request_id differs from x-request-id')
  if (problems.length > 0) problems.push(`body ${JSON.stringify(res.body.toString('utf8').slice(0, 160))}`)
  return problems
}

function codeOf(res: RawResponse): unknown {
  try {
    return (JSON.parse(res.body.toString('utf8')) as { code?: unknown }).code
  } catch {
    return undefined
  }
}

/** Checks one exchange against its case; an empty list means the server behaved. */
export function judge(c: Case, x: Exchange, timeoutMs: number): Problem[] {
  const out: Problem[] = []
  const fail = (problem: string): void => { out.push({ group: c.group, name: c.name, problem }) }
  if (x.timedOut) fail(`no answer and no close within ${timeoutMs} ms`)
  for (const r of x.responses) if (r.status >= 500) fail(`${r.status} ${r.body.toString('utf8').slice(0, 160)}`)
  const first = x.responses[0]
  const e = c.expect
  switch (e.kind) {
    case 'error': {
      const expected = c.responses ?? 1
      if (x.responses.length !== expected) fail(`${x.responses.length} responses, expected ${expected} (${x.responses.map((r) => r.status).join(',')}; ${x.error ?? ''} ${x.trailing.toString('latin1').slice(0, 80)})`)
      for (const r of x.responses) {
        if (r.status < 400 || r.status > 499) fail(`status ${r.status}, expected a 4xx: ${r.body.toString('utf8').slice(0, 160)}`)
        for (const p of errorBodyProblems(r)) fail(p)
        const rid = r.headers['x-request-id']
        if (rid !== undefined && !requestIdShape.test(rid)) fail(`unsafe x-request-id ${JSON.stringify(rid)}`)
        if (/pwn=/.test(r.headers['set-cookie'] ?? '')) fail('a request header came back as a response header')
      }
      if (first && e.code !== undefined && codeOf(first) !== e.code) fail(`code ${String(codeOf(first))}, expected ${e.code}`)
      if (first && e.status !== undefined && first.status !== e.status) fail(`status ${first.status}, expected ${e.status}`)
      if (c.closes) {
        if (!x.closed) fail('the connection stayed open though the client sent Connection: close')
        for (const r of x.responses) if (r.headers['keep-alive'] !== undefined || /keep-alive/i.test(r.headers['connection'] ?? '')) fail(`hop-by-hop headers passed on: connection ${r.headers['connection']}, keep-alive ${r.headers['keep-alive']}`)
      }
      break
    }
    case 'refused': {
      // A route that answers without reading the body (GET /health) may answer before the parser
      // reaches the broken framing; the refusal then follows. Nothing after it is ever answered.
      const last = x.responses[x.responses.length - 1]
      if (x.responses.some((r) => r.body.includes(SMUGGLED_PATH))) fail(`smuggled bytes were answered as a request (${x.responses.map((r) => r.status).join(',')})`)
      if (!x.closed) fail('the connection stayed open after a refusal')
      if (x.trailing.length > 0) fail(`a partial response: ${JSON.stringify(x.trailing.toString('latin1').slice(0, 80))}`)
      if (!last) {
        fail('closed without an answer')
      } else {
        if (last.status !== e.status) fail(`status ${last.status}, expected ${e.status} (${x.responses.map((r) => r.status).join(',')})`)
        for (const p of errorBodyProblems(last)) fail(p)
      }
      break
    }
    case 'node': {
      if (e.status === 'closed') {
        if (x.responses.length > 0 || x.trailing.length > 0) fail(`expected a close without a response, got ${x.responses.map((r) => r.status).join(',')}`)
      } else if (x.responses.length !== 1 || first?.status !== e.status) {
        fail(`expected Node's own ${e.status}, got ${x.responses.map((r) => r.status).join(',') || 'nothing'}`)
      }
      if (!x.closed && e.status !== 417) fail('the connection stayed open')
      break
    }
  }
  return out
}
