import { exchange } from '../helpers/raw-http.js'
import type { Case } from './corpus.js'
import { judge, type Problem } from './judge.js'

export const TIMEOUT_MS = 10_000
const CONCURRENCY = 6

/** Sends every case over its own connection, a few at a time, and judges each exchange. */
export async function runAll(port: number, cases: Case[], onDone?: (c: Case, ms: number) => void): Promise<Problem[]> {
  const problems: Problem[] = []
  let next = 0
  const worker = async (): Promise<void> => {
    for (let i = next++; i < cases.length; i = next++) {
      const c = cases[i]!
      // A 4xx answer ends the exchange (cases that ask for Connection: close wait for the close).
      const responses = c.closes ? undefined : c.responses ?? (c.expect.kind === 'error' ? 1 : undefined)
      const timeoutMs = c.timeoutMs ?? TIMEOUT_MS
      const x = await exchange(port, c.head, { timeoutMs, ...(c.body ? { body: c.body } : {}), ...(responses ? { responses } : {}) })
      problems.push(...judge(c, x, timeoutMs))
      onDone?.(c, x.ms)
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  return problems
}
