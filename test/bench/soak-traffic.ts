// The soak's load: a fixed-rate (open-loop) mix of what ClaraVerse clients do through the
// gateway, plus a few WebSocket chat round trips. Requests leave on a schedule whatever the
// answers, and latency counts from the scheduled time, so a stalled server shows as latency
// instead of slowing the load down (no coordinated omission).
import { Agent, request } from 'undici'
import WebSocket from 'ws'

export interface TrafficSettings { rate: number; seconds: number; users: number; wsRate: number; seed: number }

interface User { email: string; token: string; agents: string[] }
interface Op { name: string; weight: number; run: (u: User, i: number) => Promise<number> }

/** One request: its op, the second of the run it was scheduled in, and when (s) it completed. */
export interface Outcome { op: string; second: number; status: number | string; latency_ms: number; done_s: number }

const PASSWORD = 'a sturdy soak passphrase'
const CHATS_PER_USER = 5
const INTEGRATIONS_PER_USER = 3
const TIMEOUT_MS = 10_000
const MAX_IN_FLIGHT = 2000
/** Every fifth round trip of a socket goes over a fresh connection: upgrades churn as they do for real. */
export const WS_FRESH_EVERY = 5

/** mulberry32: the same mix on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const chat = (i: number): { title: string; messages: Array<{ role: string; content: string }> } => ({
  title: `Soak chat ${i}`,
  messages: Array.from({ length: 6 }, (_, j) => ({ role: j % 2 === 0 ? 'user' : 'assistant', content: `message ${j} of round ${i}: ${'lorem ipsum dolor sit amet '.repeat(8)}` })),
})

export class Traffic {
  readonly outcomes: Outcome[] = []
  readonly ws: Outcome[] = []
  private readonly agent = new Agent({ connections: 64, headersTimeout: TIMEOUT_MS, bodyTimeout: TIMEOUT_MS, keepAliveTimeout: 30_000 })
  private readonly users: User[] = []
  private readonly sockets: Array<WsSlot | undefined> = []
  private inFlight = 0

  constructor(private readonly url: string, private readonly settings: TrafficSettings) {}

  /** The mix, by weight (percent of HTTP requests). */
  readonly ops: Op[] = [
    { name: 'login', weight: 0.5, run: (u) => this.login(u) },
    { name: 'auth_me', weight: 15, run: (u) => this.call('GET', '/api/auth/me', u) },
    { name: 'chat_put', weight: 10, run: (u, i) => this.call('PUT', `/api/chats/soak${i % CHATS_PER_USER}`, u, chat(i)) },
    { name: 'chat_get', weight: 10, run: (u, i) => this.call('GET', `/api/chats/soak${i % CHATS_PER_USER}`, u) },
    { name: 'chats_list', weight: 5, run: (u) => this.call('GET', '/api/chats', u) },
    { name: 'integrations_list', weight: 10, run: (u) => this.call('GET', '/api/integrations', u) },
    { name: 'agents_create', weight: 5, run: (u, i) => this.createAgent(u, i) },
    { name: 'agents_list', weight: 10, run: (u) => this.call('GET', '/api/agents', u) },
    // Keeps each user's agents bounded, so the store's growth does not pass for a leak.
    { name: 'agents_delete', weight: 4.5, run: (u) => this.deleteAgent(u) },
    { name: 'public_templates', weight: 10, run: () => this.call('GET', '/api/public/agent-templates') },
    { name: 'auth_status', weight: 10, run: () => this.call('GET', '/api/auth/status') },
    { name: 'health', weight: 10, run: () => this.call('GET', '/health') },
  ]

  private async send(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, token?: string, body?: unknown): Promise<{ status: number; text: string }> {
    const headers: Record<string, string> = {}
    if (token) headers['authorization'] = `Bearer ${token}`
    if (body !== undefined) headers['content-type'] = 'application/json'
    const res = await request(`${this.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), dispatcher: this.agent })
    return { status: res.statusCode, text: await res.body.text() }
  }

  private async call(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, u?: User, body?: unknown): Promise<number> {
    return (await this.send(method, path, u?.token, body)).status
  }

  private async login(u: User): Promise<number> {
    const res = await this.send('POST', '/api/auth/login', undefined, { email: u.email, password: PASSWORD })
    if (res.status === 200) u.token = (JSON.parse(res.text) as { access_token: string }).access_token
    return res.status
  }

  private async createAgent(u: User, i: number): Promise<number> {
    const res = await this.send('POST', '/api/agents', u.token, { name: `soak agent ${i}`, system_prompt: 'You are terse.', temperature: 0.2, tools: ['web_search'] })
    if (res.status === 201) u.agents.push((JSON.parse(res.text) as { id: string }).id)
    return res.status
  }

  private async deleteAgent(u: User): Promise<number> {
    const id = u.agents.shift()
    return id === undefined ? this.call('GET', '/api/agents', u) : this.call('DELETE', `/api/agents/${id}`, u)
  }

  /** Not measured: accounts, chats to read, integrations to list, one WebSocket per user. */
  async setup(): Promise<void> {
    for (let n = 0; n < this.settings.users; n++) {
      const email = `soak${n}@example.com`
      const res = await this.send('POST', '/api/auth/register', undefined, { email, password: PASSWORD })
      if (res.status !== 201) throw new Error(`register ${email}: ${res.status} ${res.text}`)
      const u: User = { email, token: (JSON.parse(res.text) as { access_token: string }).access_token, agents: [] }
      this.users.push(u)
      for (let c = 0; c < INTEGRATIONS_PER_USER; c++) await this.expect(201, 'POST', '/api/integrations', u, { provider: 'openai', name: `key ${c}`, credentials: { api_key: `sk-soak-${n}-${c}-abcdefghijklmnop` } })
      for (let c = 0; c < CHATS_PER_USER; c++) await this.expect(200, 'PUT', `/api/chats/soak${c}`, u, chat(c))
    }
    for (let n = 0; n < this.settings.users; n++) {
      this.sockets[n] = new WsSlot(this.url, this.users[n]!)
      await this.sockets[n]!.opened
    }
  }

  private async expect(status: number, method: 'POST' | 'PUT', path: string, u: User, body: unknown): Promise<void> {
    const res = await this.send(method, path, u.token, body)
    if (res.status !== status) throw new Error(`${method} ${path}: ${res.status} ${res.text}`)
  }

  /** Runs the schedule; resolves when every request has been answered or has failed. */
  async run(start: number): Promise<void> {
    const random = prng(this.settings.seed)
    const weights = this.ops.reduce((a, o) => a + o.weight, 0)
    const pick = (): Op => {
      let r = random() * weights
      for (const op of this.ops) if ((r -= op.weight) < 0) return op
      return this.ops[this.ops.length - 1]!
    }
    // Only what is still in flight: a long soak must not keep every finished promise.
    const pending = new Set<Promise<void>>()
    const track = (p: Promise<void>): void => { pending.add(p); void p.finally(() => pending.delete(p)) }
    const schedule = (count: number, interval: number, fire: (i: number, at: number) => Promise<void>): Promise<void> => new Promise((done) => {
      let issued = 0
      const tick = (): void => {
        const due = Math.min(count, Math.floor((performance.now() - start) / interval) + 1)
        for (; issued < due; issued++) track(fire(issued, start + issued * interval))
        if (issued < count) setTimeout(tick, Math.max(0, start + issued * interval - performance.now()))
        else done()
      }
      tick()
    })
    await Promise.all([
      schedule(Math.round(this.settings.rate * this.settings.seconds), 1000 / this.settings.rate, (i, at) => this.fire(pick(), i, at, start)),
      schedule(Math.round(this.settings.wsRate * this.settings.seconds), 1000 / this.settings.wsRate, (i, at) => this.fireWs(i, at, start)),
    ])
    await Promise.all([...pending])
  }

  private async fire(op: Op, i: number, at: number, start: number): Promise<void> {
    const second = Math.floor((at - start) / 1000)
    if (this.inFlight >= MAX_IN_FLIGHT) {
      this.outcomes.push({ op: op.name, second, status: 'not sent: too many in flight', latency_ms: NaN, done_s: NaN })
      return
    }
    this.inFlight++
    const user = this.users[i % this.users.length]!
    let status: number | string
    try {
      status = await op.run(user, i)
    } catch (err) {
      status = (err as { code?: string }).code ?? (err as Error).message
    }
    this.inFlight--
    const now = performance.now()
    this.outcomes.push({ op: op.name, second, status, latency_ms: now - at, done_s: (now - start) / 1000 })
  }

  private async fireWs(i: number, at: number, start: number): Promise<void> {
    const n = i % this.users.length
    let slot = this.sockets[n]!
    const fresh = ++slot.uses % WS_FRESH_EVERY === 0
    if (fresh) {
      slot.close()
      slot = this.sockets[n] = new WsSlot(this.url, this.users[n]!)
    }
    const second = Math.floor((at - start) / 1000)
    let status: number | string = 'ok'
    try {
      await slot.opened
      await slot.roundTrip(`soak${i}`)
    } catch (err) {
      status = (err as Error).message
    }
    const now = performance.now()
    this.ws.push({ op: fresh ? 'ws_new_connection_round_trip' : 'ws_round_trip', second, status, latency_ms: now - at, done_s: (now - start) / 1000 })
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s?.close()
    await this.agent.close()
  }
}

/** One user's chat socket, as the web client opens it (subprotocols `claraverse.v1`, `bearer.<jwt>`). */
class WsSlot {
  uses = 0
  readonly opened: Promise<void>
  private readonly ws: WebSocket
  private readonly waiting = new Map<string, { ok: () => void; fail: (e: Error) => void }>()

  constructor(url: string, user: User) {
    this.ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws/chat`, ['claraverse.v1', `bearer.${user.token}`])
    this.opened = new Promise((ok, fail) => {
      const timer = setTimeout(() => fail(new Error('no connected event within 5 s')), 5000)
      this.ws.once('unexpected-response', (_req, res) => { clearTimeout(timer); fail(new Error(`upgrade answered ${res.statusCode}`)) })
      this.ws.once('error', (err) => { clearTimeout(timer); fail(err) })
      this.ws.once('message', () => { clearTimeout(timer); ok() }) // {type: "connected"}
    })
    this.opened.catch(() => {})
    this.ws.on('error', () => {})
    this.ws.on('message', (data: Buffer) => {
      const m = JSON.parse(data.toString()) as { type: string; conversation_id?: string; code?: string }
      const w = m.conversation_id === undefined ? undefined : this.waiting.get(m.conversation_id)
      if (m.type === 'stream_end' && w) { this.waiting.delete(m.conversation_id!); w.ok() }
      if (m.type === 'error') {
        for (const [k, v] of this.waiting) if (m.conversation_id === undefined || m.conversation_id === k) { this.waiting.delete(k); v.fail(new Error(`error frame ${m.code ?? ''}`)) }
      }
    })
    this.ws.on('close', (code) => {
      for (const v of this.waiting.values()) v.fail(new Error(`socket closed ${code}`))
      this.waiting.clear()
    })
  }

  roundTrip(conversation: string): Promise<void> {
    return new Promise((ok, fail) => {
      const timer = setTimeout(() => { this.waiting.delete(conversation); fail(new Error('no stream_end within 5 s')) }, 5000)
      this.waiting.set(conversation, { ok: () => { clearTimeout(timer); ok() }, fail: (e) => { clearTimeout(timer); fail(e) } })
      this.ws.send(JSON.stringify({ type: 'chat_message', conversation_id: conversation, content: 'How long does a round trip take?' }))
    })
  }

  close(): void {
    this.ws.close(1000)
  }
}
