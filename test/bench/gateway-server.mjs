// Plain JavaScript on purpose: the gateway runs as in production, without a TypeScript loader.
// Child of the gateway benchmark: the real gateway, full chain, in front of the bench upstream.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadGatewayConfig } from '@claraverse/config'
import { createLogger } from '@claraverse/logging'
import { buildApp } from '@claraverse/gateway'

const big = '1000000' // the largest allowed: the benchmark measures the limiter, never hits it
const config = loadGatewayConfig({
  ENVIRONMENT: 'test', DATA_DIR: mkdtempSync(join(tmpdir(), 'cv-bench-gw-')), LOG_LEVEL: 'warn',
  JWT_SECRET: process.env['BENCH_JWT_SECRET'], APP_URL: process.env['BENCH_UPSTREAM'], AUTH_URL: process.env['BENCH_UPSTREAM'],
  REDIS_URL: process.env['BENCH_REDIS_URL'], ALLOWED_ORIGINS: 'http://localhost:5173',
  RATE_LIMIT_GLOBAL_API: big, RATE_LIMIT_PUBLIC_READ: big, RATE_LIMIT_AUTHENTICATED: big,
})
const app = await buildApp(config, { logger: createLogger({ name: 'gateway', level: 'warn' }) })
const url = await app.listen({ host: '127.0.0.1', port: 0 })
process.send?.({ url })
process.on('SIGINT', () => { void app.close().then(() => process.exit(0)) })
