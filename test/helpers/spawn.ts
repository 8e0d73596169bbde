import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'

export interface Spawned {
  child: ChildProcess
  stdout: () => string
  stderr: () => string
  /** Resolves with the first match of `pattern` in stdout, or rejects after `timeoutMs`. */
  waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<RegExpMatchArray>
  /** Resolves with the exit code (or signal name) once the process has exited. */
  exited: Promise<number | string>
}

/** Starts a Node.js script as a real child process and keeps its output for assertions. */
export function spawnNode(script: string, args: string[], env: Record<string, string | undefined>): Spawned {
  const child = spawn(process.execPath, [script, ...args], { env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.on('data', (d: Buffer) => { out += d.toString() })
  child.stderr.on('data', (d: Buffer) => { err += d.toString() })
  const exited = once(child, 'exit').then(([code, signal]) => (code ?? signal) as number | string)
  const waitFor = (pattern: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> => new Promise((resolve, reject) => {
    const check = (): boolean => {
      const m = out.match(pattern)
      if (m) { cleanup(); resolve(m) }
      return m !== null
    }
    const timer = setTimeout(() => { cleanup(); reject(new Error(`timed out waiting for ${pattern}; stdout: ${out}; stderr: ${err}`)) }, timeoutMs)
    const onExit = (): void => { cleanup(); reject(new Error(`process exited before ${pattern}; stdout: ${out}; stderr: ${err}`)) }
    const cleanup = (): void => { clearTimeout(timer); child.stdout.off('data', check); child.off('exit', onExit) }
    if (!check()) { child.stdout.on('data', check); child.once('exit', onExit) }
  })
  return { child, stdout: () => out, stderr: () => err, waitFor, exited }
}

/** The environment of this process without the variables that would point services elsewhere. */
export function cleanEnv(extra: Record<string, string>): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env }
  for (const k of Object.keys(env)) {
    if (/^(ENVIRONMENT|MONGODB_URI|REDIS_URL|JWT_|ENCRYPTION_|IDENTITY_|ALLOWED_ORIGINS|TRUST_PROXY|RATE_LIMIT_|PORT|HOST|DATA_DIR|AUTH_URL|APP_URL|VAULT_URL|TAP)/.test(k)) delete env[k]
  }
  return { ...env, ...extra }
}
