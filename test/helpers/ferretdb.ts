import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, mkdtempSync, mkdirSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { reachable } from './servers.js'
import { freePort } from './redis-server.js'

/** The FerretDB binary .ci/ferretdb.sh builds, or FERRETDB_BIN; undefined when neither exists. */
export function ferretdbBinary(): string | undefined {
  for (const c of [process.env['FERRETDB_BIN'], join(homedir(), 'go/bin/ferretdb')]) {
    if (c !== undefined && c !== '' && existsSync(c)) return c
  }
  return undefined
}

/**
 * A MongoDB-protocol server owned by one test (FerretDB over SQLite files in a temporary
 * folder), so the test can stop it and start it again on the same port with the same data.
 */
export class OwnedFerretDB {
  private proc: ChildProcess | undefined
  private constructor(readonly bin: string, readonly port: number, readonly dir: string) {}

  static async start(bin: string): Promise<OwnedFerretDB> {
    const db = new OwnedFerretDB(bin, await freePort(), mkdtempSync(join(tmpdir(), 'cv-ferret-')))
    await db.start()
    return db
  }

  get uri(): string {
    return `mongodb://127.0.0.1:${this.port}`
  }

  async start(): Promise<void> {
    mkdirSync(join(this.dir, 'data'), { recursive: true })
    this.proc = spawn(this.bin, [
      '--handler=sqlite', `--sqlite-url=file:${this.dir}/data/`, `--state-dir=${this.dir}`,
      `--listen-addr=127.0.0.1:${this.port}`, '--debug-addr=-', '--telemetry=disable', '--log-level=error',
    ], { stdio: 'ignore' })
    for (let i = 0; i < 200; i++) {
      if (await reachable(this.uri, 27017, 200)) return
      if (this.proc.exitCode !== null) break
      await new Promise((r) => setTimeout(r, 50))
    }
    throw new Error(`FerretDB on port ${this.port} did not start`)
  }

  /** SIGTERM, as an orchestrator stops it; SQLite has committed every acknowledged write. */
  async stop(): Promise<void> {
    const p = this.proc
    if (!p || p.exitCode !== null) return
    p.kill('SIGTERM')
    await once(p, 'exit')
  }
}
