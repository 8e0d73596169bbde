import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { join } from 'node:path'

export const RESULTS_DIR = join(process.cwd(), 'bench-results')

/** What the numbers were measured on; benchmarks are only comparable side by side on one machine. */
export function machine(): Record<string, unknown> {
  return { cpus: cpus().length, cpu: cpus()[0]?.model, memory_gib: Math.round(totalmem() / 2 ** 30), node: process.version, at: new Date().toISOString() }
}

export function writeResult(name: string, result: unknown): string {
  mkdirSync(RESULTS_DIR, { recursive: true })
  const file = join(RESULTS_DIR, `${name}.json`)
  writeFileSync(file, JSON.stringify({ machine: machine(), ...result as object }, null, 2) + '\n')
  return file
}

/** Starts a TypeScript child process that reports over IPC; resolves with its first message. */
export async function child<T>(script: string, args: string[], env: Record<string, string> = {}): Promise<{ proc: ChildProcess; first: T }> {
  const proc = fork(script, args, { execArgv: ['--import', 'tsx'], env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const [first] = await once(proc, 'message') as [T]
  return { proc, first }
}

export async function nextMessage<T>(proc: ChildProcess): Promise<T> {
  const [msg] = await once(proc, 'message') as [T]
  return msg
}

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN
