// Ad-hoc: run the bench gateway under --cpu-prof for a fixed load, to see where time goes.
import { execFileSync } from 'node:child_process'
import { resolve } from 'node:path'
import { randomUUID } from 'node:crypto'
import { fork } from 'node:child_process'
import { once } from 'node:events'
import { createSigner } from 'fast-jwt'
import { child } from './lib.js'

const SECRET = 'ab'.repeat(64)
const upstream = await child<{ url: string }>(resolve('test/bench/gateway-upstream.mjs'), [])
const gw = fork(resolve('test/bench/gateway-server.mjs'), [], { execArgv: ['--cpu-prof', '--cpu-prof-dir=/tmp/prof'], env: { ...process.env, BENCH_JWT_SECRET: SECRET, BENCH_UPSTREAM: upstream.first.url, BENCH_REDIS_URL: 'redis://127.0.0.1:6379' } })
const [{ url }] = await once(gw, 'message') as [{ url: string }]
const token = createSigner({ key: SECRET, algorithm: 'HS256', iss: 'claraverse-auth', aud: 'claraverse', expiresIn: 3_600_000 })({ sub: 'user_bench', email: 'b@x', role: 'user', sid: 's', typ: 'access', jti: randomUUID() })
process.stdout.write(execFileSync('wrk', ['-t1', '-c50', '-d8s', '-H', `authorization: Bearer ${token}`, `${url}/api/chats`], { encoding: 'utf8' }))
gw.kill('SIGINT')
await once(gw, 'exit')
upstream.proc.kill()
