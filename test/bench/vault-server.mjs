// Plain JavaScript on purpose: the vault runs as in production, without a TypeScript loader.
// Child of the vault benchmark: the real vault app (identity check, schemas, crypto) on port 0.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadVaultConfig } from '@claraverse/config'
import { createLogger } from '@claraverse/logging'
import { buildApp } from '@claraverse/vault'

const config = loadVaultConfig({
  ENVIRONMENT: 'test', DATA_DIR: mkdtempSync(join(tmpdir(), 'cv-bench-vault-')), LOG_LEVEL: 'warn',
  ENCRYPTION_MASTER_KEY: process.env['BENCH_MASTER_KEY'], IDENTITY_PUBLIC_KEY: process.env['BENCH_IDENTITY_PUBLIC_KEY'],
})
const app = await buildApp(config, { logger: createLogger({ name: 'vault', level: 'warn' }) })
const url = await app.listen({ host: '127.0.0.1', port: 0 })
process.send?.({ url })
process.on('SIGINT', () => { void app.close().then(() => process.exit(0)) })
