import WebSocket from 'ws'
import { once } from 'node:events'
import { deepArray } from './inputs.js'

/** Frames /ws/chat must answer with an error event, keeping the socket open. */
const frames: Array<string | Buffer> = [
  'not json', '{"type":', '', '[]', '123', 'null', '"ping"', '{"type":"nope"}', '{"type":"chat_message"}',
  '{"type":"chat_message","conversation_id":5,"content":"x"}', '{"type":"chat_message","conversation_id":"c","content":""}',
  `{"type":"chat_message","conversation_id":"${'c'.repeat(201)}","content":"x"}`, '{"type":"chat_message","conversation_id":"c","content":"x","history":"nope"}',
  '{"type":"chat_message","conversation_id":"c","content":"x","history":[{"role":"root","content":"x"}]}', deepArray(100_000),
  '{"__proto__":{"type":"ping"}}', '{"constructor":{"prototype":{"type":"ping"}}}', Buffer.from([0, 1, 2, 0xff]),
]

export interface FrameReport {
  sent: number
  /** Frames that got no error event within 5 s (or got something else). */
  unanswered: string[]
  pong: boolean
  oversizedClose: number | undefined
}

/** Sends each bad frame through the gateway on one socket, then a ping, then a frame over the limit. */
export async function badFrames(url: string, token: string): Promise<FrameReport> {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/ws/chat`, ['claraverse.v1'], { headers: { authorization: `Bearer ${token}` } })
  const inbox: Array<Record<string, unknown>> = []
  let wake: (() => void) | undefined
  ws.on('message', (d: Buffer) => { inbox.push(JSON.parse(d.toString()) as Record<string, unknown>); wake?.() })
  await once(ws, 'open')
  const next = async (): Promise<Record<string, unknown> | undefined> => {
    const deadline = Date.now() + 5_000
    while (inbox.length === 0 && Date.now() < deadline) await new Promise<void>((r) => { wake = r; setTimeout(r, 100) })
    return inbox.shift()
  }
  if ((await next())?.['type'] !== 'connected') throw new Error('no connected event')
  const unanswered: string[] = []
  for (const frame of frames) {
    ws.send(frame, { binary: Buffer.isBuffer(frame) })
    const reply = await next()
    const ok = reply?.['type'] === 'error' && typeof reply['code'] === 'string' && typeof reply['message'] === 'string'
    if (!ok) unanswered.push(`${String(frame).slice(0, 40)} -> ${JSON.stringify(reply)}`)
  }
  ws.send('{"type":"ping"}')
  const pong = (await next())?.['type'] === 'pong'
  const closed = once(ws, 'close') as Promise<[number]>
  ws.send('x'.repeat(300 * 1024))
  const [code] = await Promise.race([closed, new Promise<[undefined]>((r) => setTimeout(() => r([undefined]), 5_000))])
  ws.terminate()
  return { sent: frames.length + 1, unanswered, pong, oversizedClose: code }
}
