import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { Test } from 'tap'
import { ferretdbBinary, OwnedFerretDB } from './ferretdb.js'
import { freePort, OwnedRedis } from './redis-server.js'
import { cleanEnv, spawnNode, type Spawned } from './spawn.js'

export type Part = 'gateway' | 'auth' | 'vault' | 'app'
const PARTS: Part[] = ['vault', 'auth', 'app', 'gateway'] // start order: what each needs is up first

export interface ClusterOptions {
  /** ALLOWED_ORIGINS of the gateway. */
  origins?: string
  /** Extra environment for every part (rate limits, log level…). */
  env?: Record<string, string>
  /** Extra environment for one part only (e.g. METRICS_PORT, which two parts cannot share). */
  partEnv?: Partial<Record<Part, Record<string, string>>>
}

/**
 * The distributed deployment of DESIGN §13 on one machine: the four services as separate
 * production processes (the container entry deploy/start.mjs), each on its own fixed port so a
 * restarted part comes back where the others expect it, with a Redis and a FerretDB owned by
 * this cluster alone, so tests can stop them without disturbing anyone else.
 */
export class Cluster {
  readonly procs = new Map<Part, Spawned>()
  private constructor(
    readonly redis: OwnedRedis,
    readonly mongo: OwnedFerretDB,
    readonly ports: Record<Part, number>,
    readonly env: Record<string, string>,
    readonly partEnv: Partial<Record<Part, Record<string, string>>> = {},
  ) {}

  /** Starts everything; under CI=true a missing FerretDB binary fails the test, otherwise skips it. */
  static async start(t: Test, options: ClusterOptions = {}): Promise<Cluster | undefined> {
    const bin = ferretdbBinary()
    if (bin === undefined) {
      const reason = 'no FerretDB binary (bash .ci/ferretdb.sh builds it)'
      if (process.env['CI'] === 'true') t.fail(`${reason}, and CI=true requires it`)
      else await t.skip(reason, () => {})
      return undefined
    }
    const redis = await OwnedRedis.start()
    const mongo = await OwnedFerretDB.start(bin)
    const keys = generateKeyPairSync('ed25519')
    const ports = { gateway: await freePort(), auth: await freePort(), vault: await freePort(), app: await freePort() }
    const env: Record<string, string> = {
      ENVIRONMENT: 'production',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      REDIS_URL: redis.url,
      MONGODB_URI: mongo.uri,
      JWT_SECRET: randomBytes(64).toString('hex'),
      ENCRYPTION_MASTER_KEY: randomBytes(32).toString('hex'),
      IDENTITY_SIGNING_KEY: keys.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
      IDENTITY_PUBLIC_KEY: keys.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
      ALLOWED_ORIGINS: options.origins ?? 'https://chat.example.com',
      AUTH_URL: `http://127.0.0.1:${ports.auth}`,
      APP_URL: `http://127.0.0.1:${ports.app}`,
      VAULT_URL: `http://127.0.0.1:${ports.vault}`,
      // Fast hashing keeps journeys quick; the production floor is checked by the config tests.
      ARGON2_MEMORY_KIB: '19456',
      ARGON2_TIME_COST: '2',
      ...options.env,
    }
    const cluster = new Cluster(redis, mongo, ports, env, options.partEnv)
    t.teardown(() => cluster.stop())
    for (const part of PARTS) await cluster.startPart(part)
    return cluster
  }

  get gatewayUrl(): string {
    return this.url('gateway')
  }

  url(part: Part): string {
    return `http://127.0.0.1:${this.ports[part]}`
  }

  proc(part: Part): Spawned {
    const p = this.procs.get(part)
    if (!p) throw new Error(`${part} is not running`)
    return p
  }

  /**
   * Starts one part on its port and waits until it is ready (/ready answers 200). `env` is added
   * to this start only (e.g. another RATE_LIMIT_FAIL_MODE for a restarted gateway).
   */
  async startPart(part: Part, env: Record<string, string> = {}): Promise<Spawned> {
    const proc = spawnNode(resolve('deploy/start.mjs'), [part], cleanEnv({
      ...this.env,
      ...this.partEnv[part],
      ...env,
      PORT: String(this.ports[part]),
      DATA_DIR: mkdtempSync(join(tmpdir(), `cv-${part}-`)),
    }))
    this.procs.set(part, proc)
    // Polled rather than read from the log, so any LOG_LEVEL works.
    const deadline = Date.now() + 30_000
    while (Date.now() < deadline && proc.child.exitCode === null && proc.child.signalCode === null) {
      const ok = await fetch(`${this.url(part)}/ready`, { signal: AbortSignal.timeout(5000) }).then((r) => r.status === 200, () => false)
      if (ok) return proc
      await new Promise((r) => setTimeout(r, 50))
    }
    throw new Error(`${part} never became ready; stdout: ${proc.stdout().slice(-2000)}; stderr: ${proc.stderr().slice(-2000)}`)
  }

  /** Stops one part with a signal and resolves with its exit code (or signal name). */
  async stopPart(part: Part, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | string> {
    const proc = this.proc(part)
    this.procs.delete(part)
    if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill(signal)
    return proc.exited
  }

  async stop(): Promise<void> {
    for (const part of [...PARTS].reverse()) {
      const p = this.procs.get(part)
      if (p && p.child.exitCode === null) p.child.kill('SIGKILL')
    }
    this.procs.clear()
    await this.redis.stop()
    await this.mongo.stop()
  }
}
