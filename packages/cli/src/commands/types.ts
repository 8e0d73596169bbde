import type { Env } from '@claraverse/config'

export interface Io {
  out: (text: string) => void
  err: (text: string) => void
  env: Env
}

/** A CLI command: usage text, and a run that returns the exit code. */
export interface Command {
  usage: string
  run(args: string[], io: Io): Promise<number>
}

/** Thrown for a mistake of the operator: printed as one line, exit code 1 (or `code`). */
export class UsageError extends Error {
  constructor(message: string, readonly code = 64) {
    super(message)
  }
}
