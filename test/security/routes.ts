/**
 * Every route a client can reach through the gateway (gateway/src/routes/table.ts, the gateway's
 * local routes, and the services' routes behind each table entry), with what it accepts, so the
 * corpus can make each input wrong in every way that matters.
 */

export type Access = 'probe' | 'public' | 'optional' | 'user' | 'admin'

/** What a body field accepts (mirrors the TypeBox schemas in services/*\/src). */
export type Field =
  | { kind: 'string'; max: number; min?: number; pattern?: true; optional?: true }
  | { kind: 'number'; min: number; max: number; optional?: true }
  | { kind: 'bool'; optional?: true }
  | { kind: 'enum'; optional?: true }
  | { kind: 'array'; optional?: true }
  | { kind: 'record'; optional?: true }

export interface BodySpec {
  /** A body the route accepts; every mutation of it is refused. */
  example: Record<string, unknown>
  fields: Record<string, Field>
  /** `null`, an empty body and `{}` are valid here (optionalBody in the schema). */
  optional?: true
}

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  /** `:id` marks the path parameter. */
  path: string
  access: Access
  body?: BodySpec
  /** The query parameters are validated (paginated lists): bad ones are refused. */
  paged?: true
  /** `:id` is a rate-limit key rather than a record id. */
  rateKey?: true
}

const str = (max: number, min = 1): Field => ({ kind: 'string', max, min })
const opt = (f: Field): Field => ({ ...f, optional: true })

const credentials: BodySpec = {
  example: { email: 'nobody@example.com', password: 'a sturdy passphrase' },
  fields: { email: str(512), password: str(2048) },
}
const refresh: BodySpec = { example: { refresh_token: 'not-a-token' }, fields: { refresh_token: opt(str(8192, 0)) }, optional: true }
const agent: BodySpec = {
  example: { name: 'Corpus agent', description: 'd', system_prompt: 's', model: 'm', temperature: 1, tools: ['web_search'] },
  fields: {
    name: str(200), description: opt(str(2000, 0)), system_prompt: opt(str(50_000, 0)), model: opt(str(200, 0)),
    temperature: { kind: 'number', min: 0, max: 2, optional: true }, tools: { kind: 'array', optional: true },
  },
}
const workflow: BodySpec = {
  example: { name: 'Corpus workflow', description: 'd', enabled: true, steps: [{ type: 'prompt', config: { text: 'hi' } }] },
  fields: { name: str(200), description: opt(str(2000, 0)), enabled: { kind: 'bool', optional: true }, steps: { kind: 'array' } },
}
const integration: BodySpec = {
  example: { provider: 'openai', name: 'Corpus key', credentials: { api_key: 'sk-corpus-0123456789' } },
  fields: { provider: { kind: 'string', max: 64, min: 1, pattern: true }, name: str(200), credentials: { kind: 'record' } },
}
const patchOf = (spec: BodySpec): BodySpec => ({
  example: spec.example,
  fields: Object.fromEntries(Object.entries(spec.fields).map(([k, f]) => [k, opt(f)])),
})

export const routes: Route[] = [
  // The gateway's own routes.
  { method: 'GET', path: '/health', access: 'probe' },
  { method: 'GET', path: '/ready', access: 'probe' },
  { method: 'GET', path: '/.well-known/jwks.json', access: 'probe' },
  { method: 'DELETE', path: '/api/admin/rate-limits/:id', access: 'admin', rateKey: true },
  // auth
  { method: 'GET', path: '/api/auth/status', access: 'public' },
  { method: 'POST', path: '/api/auth/register', access: 'public', body: credentials },
  { method: 'POST', path: '/api/auth/login', access: 'public', body: credentials },
  { method: 'POST', path: '/api/auth/refresh', access: 'public', body: refresh },
  { method: 'POST', path: '/api/auth/logout', access: 'optional', body: refresh },
  { method: 'GET', path: '/api/auth/me', access: 'user' },
  { method: 'GET', path: '/api/auth/sessions', access: 'user' },
  { method: 'DELETE', path: '/api/auth/sessions/:id', access: 'user' },
  { method: 'POST', path: '/api/auth/logout-all', access: 'user', body: { example: {}, fields: {}, optional: true } },
  {
    method: 'POST', path: '/api/auth/password', access: 'user',
    body: { example: { current_password: 'not the password', new_password: 'another sturdy passphrase' }, fields: { current_password: str(2048), new_password: str(2048) } },
  },
  { method: 'GET', path: '/api/admin/me', access: 'admin' },
  { method: 'GET', path: '/api/admin/users', access: 'admin', paged: true },
  { method: 'GET', path: '/api/admin/users/:id', access: 'admin' },
  { method: 'PATCH', path: '/api/admin/users/:id', access: 'admin', body: { example: { role: 'user', disabled: false }, fields: { role: { kind: 'enum', optional: true }, disabled: { kind: 'bool', optional: true } } } },
  { method: 'DELETE', path: '/api/admin/users/:id', access: 'admin' },
  { method: 'GET', path: '/api/admin/audit', access: 'admin', paged: true },
  // app
  { method: 'GET', path: '/api/admin/analytics', access: 'admin' },
  { method: 'GET', path: '/api/chats', access: 'user', paged: true },
  { method: 'GET', path: '/api/chats/:id', access: 'user' },
  {
    method: 'PUT', path: '/api/chats/:id', access: 'user',
    body: { example: { title: 'Corpus chat', messages: [{ role: 'user', content: 'hi' }] }, fields: { title: str(500, 0), messages: { kind: 'array' } } },
  },
  { method: 'DELETE', path: '/api/chats/:id', access: 'user' },
  { method: 'GET', path: '/api/agents', access: 'user', paged: true },
  { method: 'POST', path: '/api/agents', access: 'user', body: agent },
  { method: 'GET', path: '/api/agents/:id', access: 'user' },
  { method: 'PATCH', path: '/api/agents/:id', access: 'user', body: patchOf(agent) },
  { method: 'DELETE', path: '/api/agents/:id', access: 'user' },
  { method: 'GET', path: '/api/workflows', access: 'user', paged: true },
  { method: 'POST', path: '/api/workflows', access: 'user', body: workflow },
  { method: 'GET', path: '/api/workflows/:id', access: 'user' },
  { method: 'PATCH', path: '/api/workflows/:id', access: 'user', body: patchOf(workflow) },
  { method: 'DELETE', path: '/api/workflows/:id', access: 'user' },
  { method: 'GET', path: '/api/integrations', access: 'user', paged: true },
  { method: 'POST', path: '/api/integrations', access: 'user', body: integration },
  { method: 'GET', path: '/api/integrations/:id', access: 'user' },
  {
    method: 'PATCH', path: '/api/integrations/:id', access: 'user',
    body: { example: { name: 'Renamed', credentials: { api_key: 'sk-corpus-9876543210' } }, fields: { name: opt(str(200)), credentials: { kind: 'record', optional: true } } },
  },
  { method: 'DELETE', path: '/api/integrations/:id', access: 'user' },
  { method: 'GET', path: '/api/public/agent-templates', access: 'public' },
  { method: 'GET', path: '/api/proxy/image', access: 'public' },
  { method: 'GET', path: '/ws/chat', access: 'user' },
]

/** A valid-looking id for `:id` that names nothing, so a request that gets past validation finds nothing to change. */
export function missingId(route: Route): string {
  if (route.path.startsWith('/api/admin/users')) return 'user_corpusmissing'
  if (route.path.startsWith('/api/auth/sessions')) return 'ses_corpusmissing'
  return 'corpus_missing'
}
