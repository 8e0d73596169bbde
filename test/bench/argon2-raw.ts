// Child of the auth benchmark: raw argon2.verify at the service's parameters, same thread pool.
import * as argon2 from 'argon2'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { loadAuthConfig } from '@claraverse/config'

const { argon2: params } = loadAuthConfig({ ENVIRONMENT: 'test', DATA_DIR: '/tmp' })
const password = process.env['BENCH_PASSWORD'] ?? ''
const hash = await argon2.hash(password, { type: argon2.argon2id, ...params })
const concurrency = Number(process.argv[2] ?? 8)
const seconds = Number(process.argv[3] ?? 8)
process.send?.({ ready: true })
const delay = monitorEventLoopDelay({ resolution: 10 })
delay.enable()
const end = Date.now() + seconds * 1000
let done = 0
await Promise.all(Array.from({ length: concurrency }, async () => {
  while (Date.now() < end) {
    if (!await argon2.verify(hash, password)) throw new Error('verify failed')
    done++
  }
}))
delay.disable()
process.send?.({ ops_per_s: done / seconds, loop_p99_ms: delay.percentile(99) / 1e6 })
process.exit(0)
