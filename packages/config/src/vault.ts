import { EnvReader, type Env } from './reader.js'
import { readCommon, readIdentityTrust, type CommonConfig, type IdentityTrust } from './common.js'
import { devSecret } from './secrets.js'
import { hexSecret } from './keys.js'

export interface VaultConfig extends CommonConfig {
  /** Primary key version and bytes; previous versions still decrypt. */
  keyVersion: number
  masterKey: Buffer
  previousKeys: Map<number, Buffer>
  keyCacheSize: number
  identity: IdentityTrust
}

const HEX64 = /^[0-9a-fA-F]{64}$/

function readPrevious(r: EnvReader, primary: number): Map<number, Buffer> {
  const keys = new Map<number, Buffer>()
  for (const entry of r.list('ENCRYPTION_MASTER_KEYS_PREVIOUS')) {
    const m = /^(\d+):([0-9a-fA-F]+)$/.exec(entry)
    const version = m ? Number(m[1]) : NaN
    if (!m || !HEX64.test(m[2] ?? '') || !Number.isSafeInteger(version) || version < 1) {
      r.problem('ENCRYPTION_MASTER_KEYS_PREVIOUS', 'entries must look like <version>:<64 hex characters>, comma separated')
      continue
    }
    if (version === primary || keys.has(version)) {
      r.problem('ENCRYPTION_MASTER_KEYS_PREVIOUS', `names key version ${version} twice (ENCRYPTION_KEY_VERSION is ${primary})`)
      continue
    }
    keys.set(version, Buffer.from(m[2] ?? '', 'hex'))
  }
  return keys
}

export function loadVaultConfig(env: Env = process.env): VaultConfig {
  const r = new EnvReader(env)
  const c = readCommon(r, 'vault', 3102)
  let hex = r.raw('ENCRYPTION_MASTER_KEY')
  if (hex === undefined && !c.production) hex = devSecret(c.dataDir, 'ENCRYPTION_MASTER_KEY', () => hexSecret(32))
  if (hex === undefined) {
    r.problem('ENCRYPTION_MASTER_KEY', 'is required in production (generate: openssl rand -hex 32); losing it loses all encrypted data')
  } else if (!HEX64.test(hex)) {
    r.problem('ENCRYPTION_MASTER_KEY', 'must be exactly 64 hex characters (32 bytes; generate: openssl rand -hex 32)')
  }
  const keyVersion = r.int('ENCRYPTION_KEY_VERSION', 1, 1, 1_000_000)
  const config: VaultConfig = {
    ...c,
    keyVersion,
    masterKey: hex !== undefined && HEX64.test(hex) ? Buffer.from(hex, 'hex') : Buffer.alloc(0),
    previousKeys: readPrevious(r, keyVersion),
    keyCacheSize: r.int('VAULT_KEY_CACHE_SIZE', 10_000, 0, 10_000_000),
    identity: readIdentityTrust(r, c),
  }
  r.finish('vault')
  return config
}
