import { randomBytes } from 'node:crypto'
import type { Test } from 'tap'

/** Every request gives up after this long: a request still unanswered then counts as a hang. */
export const REQUEST_TIMEOUT_MS = 10_000
export const ORIGIN = 'https://chat.example.com'
/** Rate limits steady test traffic from one address never reaches, and quiet logs. */
export const FAULT_ENV: Record<string, string> = {
  RATE_LIMIT_GLOBAL_API: '1000000', RATE_LIMIT_PUBLIC_READ: '1000000', RATE_LIMIT_AUTHENTICATED: '1000000',
  RATE_LIMIT_AUTH: '1000000', RATE_LIMIT_WEBSOCKET: '1000000', LOG_LEVEL: 'warn',
}

type Json = Record<string, unknown>

/** One request as the client saw it. `status` 0 means no HTTP answer: `error` says why. */
export interface Outcome {
  op: string
  /** The phase when the request started, and when its answer came. */
  phase: string
  endPhase: string
  status: number
  body: unknown
  /** `timeout`, or the network error code (ECONNREFUSED, ECONNRESET, UND_ERR_SOCKET…). */
  error?: string
  /** Set when a 2xx answer contradicts what was acknowledged before (lost or changed data). */
  wrong?: string
  ms: number
  /** When the request started and ended (epoch ms). */
  at: number
  end: number
}

export type Answer = Omit<Outcome, 'op' | 'phase' | 'endPhase'>

export interface CallOptions {
  token?: string
  body?: unknown
  headers?: Record<string, string>
  timeoutMs?: number
}

/** One request through the gateway with a deadline; never throws. */
export async function call(base: string, method: string, path: string, opts: CallOptions = {}): Promise<Answer> {
  const headers: Record<string, string> = { origin: ORIGIN, ...opts.headers }
  if (opts.token !== undefined) headers['authorization'] = `Bearer ${opts.token}`
  if (opts.body !== undefined) headers['content-type'] = 'application/json'
  const at = Date.now()
  try {
    const res = await fetch(`${base}${path}`, {
      method, headers, signal: AbortSignal.timeout(opts.timeoutMs ?? REQUEST_TIMEOUT_MS),
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
    })
    const text = await res.text()
    let body: unknown = text
    try { body = text === '' ? {} : JSON.parse(text) } catch { /* kept as text: the checks below refuse it */ }
    const end = Date.now()
    return { status: res.status, body, ms: end - at, at, end }
  } catch (err) {
    const end = Date.now()
    const e = err as { name?: string; code?: string; cause?: { code?: string; name?: string } }
    const error = e.name === 'TimeoutError' || e.name === 'AbortError' ? 'timeout' : (e.cause?.code ?? e.code ?? e.cause?.name ?? e.name ?? 'error')
    return { status: 0, body: undefined, error, ms: end - at, at, end }
  }
}

/** DESIGN §12: a 5xx a client can act on is a gateway-level status with the JSON error body. */
export function isClear5xx(o: Pick<Outcome, 'status' | 'body'>): boolean {
  if (![502, 503, 504].includes(o.status)) return false
  const b = o.body as Json | undefined
  return typeof b === 'object' && b !== null && typeof b['error'] === 'string' && typeof b['code'] === 'string' &&
    typeof b['request_id'] === 'string' && (b['request_id'] as string).length > 0
}

export const isOk = (o: Outcome): boolean => o.status >= 200 && o.status < 300 && o.wrong === undefined

export const describe = (o: Outcome): string =>
  `${o.op} → ${o.status === 0 ? (o.error ?? 'no answer') : o.status}${o.wrong ? ` (${o.wrong})` : ''} after ${o.ms} ms: ${JSON.stringify(o.body)?.slice(0, 200)}`

/** Counts by "status code" (e.g. `200`, `503 STORE_UNAVAILABLE`, `ECONNREFUSED`), for reports. */
export function tally(outcomes: readonly Outcome[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const o of outcomes) {
    const code = (o.body as Json | undefined)?.['code']
    const k = o.status === 0 ? (o.error ?? 'error') : o.status >= 400 && typeof code === 'string' ? `${o.status} ${code}` : String(o.status)
    out[k] = (out[k] ?? 0) + 1
  }
  return out
}

export interface Account {
  email: string
  password: string
  token: string
  userId: string
}

/** Registers a fresh account through the gateway. */
export async function register(base: string, label: string): Promise<Account> {
  const email = `${label}-${randomBytes(4).toString('hex')}@example.com`
  const password = `fault tolerant ${randomBytes(6).toString('hex')}`
  const r = await call(base, 'POST', '/api/auth/register', { body: { email, password } })
  if (r.status !== 201) throw new Error(`register ${email}: ${r.status} ${JSON.stringify(r.body)}`)
  const b = r.body as Json
  return { email, password, token: b['access_token'] as string, userId: (b['user'] as Json)['id'] as string }
}

export interface ChatContent { title: string; messages: Array<{ role: string; content: string }> }
export interface AgentContent { name: string; system_prompt: string; temperature: number }

/** A write the gateway acknowledged with 2xx: it must be readable, unchanged, from then on. */
export type Ack =
  | { kind: 'chat'; id: string; owner: Account; content: ChatContent; phase: string }
  | { kind: 'agent'; id: string; owner: Account; content: AgentContent; phase: string }

export const ackPath = (a: Ack): string => a.kind === 'chat' ? `/api/chats/${a.id}` : `/api/agents/${a.id}`

/** Compares a read with the acknowledged content; a description of the difference, or undefined. */
export function mismatch(a: Ack, body: unknown): string | undefined {
  const b = body as Json
  if (a.kind === 'chat') {
    if (b['title'] !== a.content.title) return `title ${JSON.stringify(b['title'])}, acknowledged ${JSON.stringify(a.content.title)}`
    if (JSON.stringify(b['messages']) !== JSON.stringify(a.content.messages)) return 'messages differ from the acknowledged ones'
    return undefined
  }
  for (const k of ['name', 'system_prompt', 'temperature'] as const) {
    if (b[k] !== a.content[k]) return `${k} ${JSON.stringify(b[k])}, acknowledged ${JSON.stringify(a.content[k])}`
  }
  return undefined
}

export type Op = 'putChat' | 'getChat' | 'listChats' | 'postAgent' | 'getAgent' | 'me' | 'login'
export const ALL_OPS: readonly Op[] = ['putChat', 'getChat', 'listChats', 'postAgent', 'getAgent', 'me', 'login']

/** The default mix: writes, reads of what was acknowledged, the account, and now and then a login. */
export const DEFAULT_MIX: readonly Op[] = ['putChat', 'me', 'getChat', 'postAgent', 'listChats', 'putChat', 'getAgent', 'me', 'getChat', 'login']

export interface TrafficOptions {
  /** Operations each worker cycles through (each starts at its own offset). */
  mix?: readonly Op[]
  /** Pause between one worker's requests, so the 2-core machine also runs the servers. */
  pauseMs?: number
  /** Bytes of filler in each chat message (bigger bodies keep requests in flight longer). */
  chatBytes?: number
}

/**
 * A steady stream of mixed traffic through the gateway: one worker per account, each request
 * recorded with the phase it started in, every acknowledged write remembered, and every read of
 * an acknowledged record compared with what was acknowledged.
 */
export class Traffic {
  phase = 'before'
  readonly outcomes: Outcome[] = []
  readonly acked: Ack[] = []
  private running = false
  private workers: Array<Promise<void>> = []
  private seq = 0

  constructor(readonly base: string, readonly accounts: readonly Account[], private readonly options: TrafficOptions = {}) {}

  /** Starts the workers; they stop at the end of the test at the latest. */
  start(t?: Test): void {
    t?.teardown(() => this.stop())
    this.running = true
    this.workers = this.accounts.map((a, i) => this.worker(a, i))
  }

  /** Stops after the requests in flight have been answered (or timed out). */
  async stop(): Promise<void> {
    this.running = false
    await Promise.all(this.workers)
  }

  /** Requests that started or ended in one of these phases. */
  in(...phases: string[]): Outcome[] {
    return this.outcomes.filter((o) => phases.includes(o.phase) || phases.includes(o.endPhase))
  }

  /** Requests that started and ended in this phase. */
  only(phase: string): Outcome[] {
    return this.outcomes.filter((o) => o.phase === phase && o.endPhase === phase)
  }

  /**
   * Ends a fault: repairs it, waits for full recovery, lets `after` more requests through and
   * stops the traffic; resolves with when the repair began and when every request succeeded again.
   */
  async repair(fix: () => Promise<void>, after = 60): Promise<{ repairedAt: number; recoveredAt: number }> {
    this.phase = 'recovery'
    const repairedAt = Date.now()
    await fix()
    const recoveredAt = await this.recovered(repairedAt)
    this.phase = 'after'
    await this.answered(after)
    await this.stop()
    return { repairedAt, recoveredAt }
  }

  /** Resolves once `count` more requests have been answered, so a phase surely saw traffic. */
  async answered(count: number, timeoutMs = 30_000): Promise<void> {
    const target = this.outcomes.length + count
    const deadline = Date.now() + timeoutMs
    while (this.outcomes.length < target) {
      if (Date.now() > deadline) throw new Error(`only ${this.outcomes.length - target + count} of ${count} requests answered in ${timeoutMs} ms`)
      await new Promise((r) => setTimeout(r, 20))
    }
  }

  /** One request of each kind at once, besides the workers', recorded like theirs; resolves with them. */
  async probe(ops: readonly Op[] = ALL_OPS, account: Account = this.accounts[0]!): Promise<Outcome[]> {
    const mine = (kind: Ack['kind']): Ack | undefined => this.acked.find((a) => a.kind === kind && a.owner === account)
    return Promise.all(ops.map((op) => this.one(op, account, mine)))
  }

  /**
   * Waits until every request that started after `since` has succeeded for a run of `streak`
   * requests covering every operation of the mix; resolves with when that run began.
   */
  async recovered(since: number, timeoutMs = 30_000, streak = 30): Promise<number> {
    const deadline = Date.now() + timeoutMs
    const ops = new Set(this.options.mix ?? DEFAULT_MIX)
    for (;;) {
      const after = this.outcomes.filter((o) => o.at >= since).sort((a, b) => a.at - b.at)
      let firstOk = after.length
      while (firstOk > 0 && isOk(after[firstOk - 1]!)) firstOk--
      const run = after.slice(firstOk)
      if (run.length >= streak && [...ops].every((op) => run.some((o) => o.op === op))) return run[0]!.at
      if (Date.now() > deadline) {
        const bad = after.filter((o) => !isOk(o)).slice(-3).map(describe)
        throw new Error(`no recovery within ${timeoutMs} ms; latest failures: ${bad.join(' | ')}`)
      }
      await new Promise((r) => setTimeout(r, 50))
    }
  }

  private record(op: string, phase: string, r: Answer, wrong?: string): Outcome {
    const o: Outcome = { op, phase, endPhase: this.phase, ...r, ...(wrong !== undefined ? { wrong } : {}) }
    this.outcomes.push(o)
    return o
  }

  private async worker(account: Account, index: number): Promise<void> {
    const mix = this.options.mix ?? DEFAULT_MIX
    let step = index
    const mine = (kind: Ack['kind']): Ack | undefined => {
      const list = this.acked.filter((a) => a.kind === kind && a.owner === account)
      return list[Math.floor(Math.random() * list.length)]
    }
    while (this.running) {
      const op = mix[step++ % mix.length]!
      await this.one(op, account, mine)
      if (this.options.pauseMs !== 0) await new Promise((r) => setTimeout(r, this.options.pauseMs ?? 10))
    }
  }

  private async one(op: Op, account: Account, mine: (kind: Ack['kind']) => Ack | undefined): Promise<Outcome> {
    const phase = this.phase
    const base = this.base
    const n = ++this.seq
    const token = account.token
    switch (op) {
      case 'putChat': {
        const id = `fault-${n}-${randomBytes(3).toString('hex')}`
        const filler = randomBytes(Math.ceil((this.options.chatBytes ?? 64) / 2)).toString('hex')
        const content: ChatContent = { title: `chat ${n}`, messages: [{ role: 'user', content: `question ${n} ${filler}` }, { role: 'assistant', content: `answer ${n}` }] }
        const r = await call(base, 'PUT', `/api/chats/${id}`, { token, body: content })
        const o = this.record(op, phase, r)
        if (isOk(o)) this.acked.push({ kind: 'chat', id, owner: account, content, phase })
        return o
      }
      case 'postAgent': {
        const content: AgentContent = { name: `agent ${n}`, system_prompt: `be helpful, ${randomBytes(8).toString('hex')}`, temperature: (n % 20) / 10 }
        const r = await call(base, 'POST', '/api/agents', { token, body: content })
        const o = this.record(op, phase, r)
        const id = (r.body as Json | undefined)?.['id']
        if (isOk(o) && typeof id === 'string') this.acked.push({ kind: 'agent', id, owner: account, content, phase })
        return o
      }
      case 'getChat':
      case 'getAgent': {
        const ack = mine(op === 'getChat' ? 'chat' : 'agent')
        if (!ack) return this.record(op, phase, await call(base, 'GET', op === 'getChat' ? '/api/chats?page_size=5' : '/api/agents?page_size=5', { token }))
        const r = await call(base, 'GET', ackPath(ack), { token })
        // An acknowledged record that reads back different, or not at all, was lost.
        const wrong = r.status >= 200 && r.status < 300 ? mismatch(ack, r.body) : r.status === 404 ? 'an acknowledged record is not found' : undefined
        return this.record(op, phase, r, wrong)
      }
      case 'listChats':
        return this.record(op, phase, await call(base, 'GET', '/api/chats?page_size=5', { token }))
      case 'me': {
        const r = await call(base, 'GET', '/api/auth/me', { token })
        const email = (r.body as Json | undefined)?.['email']
        return this.record(op, phase, r, r.status === 200 && email !== account.email ? `me answered ${String(email)}` : undefined)
      }
      case 'login': {
        const r = await call(base, 'POST', '/api/auth/login', { body: { email: account.email, password: account.password } })
        return this.record(op, phase, r, r.status === 200 && typeof (r.body as Json)['access_token'] !== 'string' ? 'no access token' : undefined)
      }
    }
  }
}

/**
 * During a fault every answer is a success, or a 502/503/504 with the JSON error body: no hang
 * (timeout), no bare connection error, no 500, no 4xx the fault should not cause, no lost data.
 */
export function checkFaultAnswers(t: Test, outcomes: readonly Outcome[], what: string, allowNetwork: readonly string[] = []): void {
  const bad = outcomes.filter((o) => !isOk(o) && !isClear5xx(o) && !(o.status === 0 && allowNetwork.includes(o.error ?? '')))
  t.same(bad.map(describe).slice(0, 8), [], `${what}: every answer is a success or a clear 5xx with the JSON error body (${outcomes.length} requests, ${bad.length} otherwise)`)
  t.notOk(outcomes.some((o) => o.error === 'timeout'), `${what}: no request hung (each had ${REQUEST_TIMEOUT_MS} ms)`)
}

/** After recovery: every request succeeds. */
export function checkAllOk(t: Test, outcomes: readonly Outcome[], what: string): void {
  const bad = outcomes.filter((o) => !isOk(o))
  t.ok(outcomes.length > 0, `${what}: traffic ran (${outcomes.length} requests)`)
  t.same(bad.map(describe).slice(0, 8), [], `${what}: every request succeeds`)
}

/** Every acknowledged write reads back with the acknowledged content (checked by its owner). */
export async function checkNoDataLoss(t: Test, base: string, acked: readonly Ack[], tokenOf: (a: Account) => string = (a) => a.token): Promise<void> {
  const problems: string[] = []
  // A few at a time: thousands of reads at once would only measure the machine.
  for (let i = 0; i < acked.length; i += 8) {
    await Promise.all(acked.slice(i, i + 8).map(async (a) => {
      const r = await call(base, 'GET', ackPath(a), { token: tokenOf(a.owner) })
      if (r.status !== 200) problems.push(`${a.kind} ${a.id} (acknowledged ${a.phase}): ${r.status || r.error} ${JSON.stringify(r.body)}`)
      else {
        const diff = mismatch(a, r.body)
        if (diff) problems.push(`${a.kind} ${a.id} (acknowledged ${a.phase}): ${diff}`)
      }
    }))
  }
  const phases = [...new Set(acked.map((a) => a.phase))].map((p) => `${p}: ${acked.filter((a) => a.phase === p).length}`).join(', ')
  t.same(problems.slice(0, 8), [], `all ${acked.length} acknowledged writes read back unchanged (${phases}; ${problems.length} missing or changed)`)
}

export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

/** The promise's value, or `fallback` once `ms` have passed (the timer never outlives the race). */
export async function within<T, F>(promise: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([promise, new Promise<F>((r) => { timer = setTimeout(r, ms, fallback) })])
  } finally {
    clearTimeout(timer)
  }
}
