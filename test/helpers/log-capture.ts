import { Writable } from 'node:stream'

/** A pino destination that keeps every line, so tests can search what would have been logged. */
export function logCapture(): { stream: Writable; text: () => string; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = []
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString())
      cb()
    },
  })
  const text = (): string => chunks.join('')
  const lines = (): Array<Record<string, unknown>> =>
    text().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>)
  return { stream, text, lines }
}
