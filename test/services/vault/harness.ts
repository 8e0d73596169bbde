import type { Test } from 'tap'
import { createHash, generateKeyPairSync } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { LightMyRequestResponse } from 'fastify'
import { loadVaultConfig, type Env, type VaultConfig } from '@claraverse/config'
import { createAssertionSigner, IDENTITY_HEADER, type AssertionSigner, type Role, type SignerOptions } from '@claraverse/identity'
import { createLogger } from '@claraverse/logging'
import type { Service } from '@claraverse/service-kit'
import { buildApp } from '@claraverse/vault'
import { logCapture } from '../../helpers/log-capture.js'

/** Fixed master keys by version, so an app rebuilt with other settings reads the same blobs. */
export const MASTER = (version: number): string => createHash('sha256').update(`vault test master key ${version}`).digest('hex')

// The gateway's role is played by the test: every harness trusts this key.
const gateway = generateKeyPairSync('ed25519')
const signer = createAssertionSigner({ privateKey: gateway.privateKey })
/** A signer holding the trusted gateway key, with other settings (e.g. a clock in the past). */
export const gatewaySigner = (opts: Omit<SignerOptions, 'privateKey'>): AssertionSigner => createAssertionSigner({ ...opts, privateKey: gateway.privateKey })
export const gatewayPublicPem = gateway.publicKey.export({ format: 'pem', type: 'spki' }).toString()

export interface CallOptions {
  role?: Role
  audience?: string[]
}

export interface VaultHarness {
  app: Service
  config: VaultConfig
  logs: ReturnType<typeof logCapture>
  headers(sub: string, opts?: CallOptions): Record<string, string>
  post(url: string, sub: string, payload: unknown, opts?: CallOptions): Promise<LightMyRequestResponse>
  /** Encrypts and expects success. */
  encrypt(sub: string, items: Array<Record<string, unknown>>): Promise<string[]>
  decrypt(sub: string, items: Array<Record<string, unknown>>): Promise<Array<{ plaintext: string; rewrapped?: string }>>
  /** GET /v1/keys as an admin. */
  keys(): Promise<{ primary_version: number; versions: Array<{ version: number; primary: boolean }>; cache: { size: number; max: number } }>
}

export interface HarnessOptions {
  /** Key versions: the primary first, then previous ones (ENCRYPTION_MASTER_KEYS_PREVIOUS). */
  versions?: number[]
  env?: Env
  logLevel?: string
}

export function keyEnv(versions: number[]): Env {
  const [primary = 1, ...previous] = versions
  return {
    ENCRYPTION_KEY_VERSION: String(primary),
    ENCRYPTION_MASTER_KEY: MASTER(primary),
    ENCRYPTION_MASTER_KEYS_PREVIOUS: previous.map((v) => `${v}:${MASTER(v)}`).join(','),
  }
}

/** A vault built from configuration as in production (its verifier included), on a test key. */
export async function vaultHarness(t: Test, opts: HarnessOptions = {}): Promise<VaultHarness> {
  const env: Env = {
    ENVIRONMENT: 'test', DATA_DIR: mkdtempSync(join(tmpdir(), 'cv-vault-')), LOG_LEVEL: 'silent',
    IDENTITY_PUBLIC_KEY: gatewayPublicPem, ...keyEnv(opts.versions ?? [1]), ...opts.env,
  }
  const config = loadVaultConfig(env)
  const logs = logCapture()
  const app = await buildApp(config, { logger: createLogger({ name: 'vault', level: opts.logLevel ?? 'silent', destination: logs.stream }) })
  t.teardown(() => app.close())
  const headers = (sub: string, o: CallOptions = {}): Record<string, string> => ({
    [IDENTITY_HEADER]: signer.sign({ sub, email: `${sub}@example.com`, role: o.role ?? 'user', sid: `ses_${sub}` }, o.audience ?? ['app', 'vault']),
  })
  const post = (url: string, sub: string, payload: unknown, o?: CallOptions): Promise<LightMyRequestResponse> =>
    app.inject({ method: 'POST', url, headers: headers(sub, o), payload: payload as Record<string, unknown> })
  const ok = async <T>(url: string, sub: string, items: unknown[]): Promise<T[]> => {
    const res = await post(url, sub, { items })
    if (res.statusCode !== 200) throw new Error(`${url} answered ${res.statusCode}: ${res.body}`)
    return (res.json() as { items: T[] }).items
  }
  return {
    app, config, logs, headers, post,
    encrypt: async (sub, items) => (await ok<{ ciphertext: string }>('/v1/encrypt', sub, items)).map((i) => i.ciphertext),
    decrypt: (sub, items) => ok('/v1/decrypt', sub, items),
    keys: async () => (await app.inject({ url: '/v1/keys', headers: headers('admin_root', { role: 'admin' }) })).json(),
  }
}

/** The error body of a refused call, checked for the DESIGN §12 shape. */
export function refusal(t: Test, res: LightMyRequestResponse, status: number, code: string, item?: number): Record<string, unknown> {
  t.equal(res.statusCode, status, `${code}: status ${status} (${res.body.slice(0, 200)})`)
  const body = res.json() as Record<string, unknown>
  t.equal(body['code'], code)
  t.type(body['error'], 'string')
  t.type(body['request_id'], 'string')
  if (item !== undefined) t.equal(body['item'], item, `names item ${item}`)
  return body
}
