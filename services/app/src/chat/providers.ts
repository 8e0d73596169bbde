import { request } from 'undici'

export interface ChatTurn {
  role: 'system' | 'user' | 'assistant'
  content: string
}

/** A model that answers a conversation as a stream of text chunks. */
export interface Provider {
  readonly name: string
  stream(turns: ChatTurn[], signal: AbortSignal): AsyncIterable<string>
}

/** The default: deterministic, offline, streams the last user message back word by word. */
export const echoProvider: Provider = {
  name: 'echo',
  async *stream(turns) {
    const last = [...turns].reverse().find((t) => t.role === 'user')?.content ?? ''
    const words = `Echo: ${last}`.split(/(?<= )/)
    for (const w of words) {
      await new Promise((r) => setImmediate(r))
      yield w
    }
  },
}

export interface OpenAiSettings {
  baseUrl: string
  apiKey: string | undefined
  model: string
  timeoutMs?: number
}

/** Any OpenAI-compatible `/chat/completions` endpoint, with server-sent-event streaming. */
export function openAiProvider(s: OpenAiSettings): Provider {
  return {
    name: 'openai-compatible',
    async *stream(turns, signal) {
      const res = await request(`${s.baseUrl}/chat/completions`, {
        method: 'POST', signal,
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...(s.apiKey ? { authorization: `Bearer ${s.apiKey}` } : {}) },
        body: JSON.stringify({ model: s.model, stream: true, messages: turns }),
        headersTimeout: s.timeoutMs ?? 30_000, bodyTimeout: s.timeoutMs ?? 60_000,
      })
      if (res.statusCode !== 200) {
        await res.body.dump()
        throw new ProviderError(`model provider answered ${res.statusCode}`)
      }
      let buffer = ''
      for await (const chunk of res.body) {
        buffer += (chunk as Buffer).toString('utf8')
        let nl: number
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl).trim()
          buffer = buffer.slice(nl + 1)
          if (!line.startsWith('data:')) continue
          const data = line.slice(5).trim()
          if (data === '[DONE]') return
          const text = deltaText(data)
          if (text) yield text
        }
      }
    },
  }
}

function deltaText(data: string): string | undefined {
  try {
    const parsed = JSON.parse(data) as { choices?: Array<{ delta?: { content?: unknown } }> }
    const content = parsed.choices?.[0]?.delta?.content
    return typeof content === 'string' ? content : undefined
  } catch {
    return undefined // a malformed event is skipped, not fatal
  }
}

export class ProviderError extends Error {}
