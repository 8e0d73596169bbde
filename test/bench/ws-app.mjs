// Plain JavaScript on purpose: runs as in production. One app replica for the WebSocket benchmark.
import { loadAppConfig } from '@claraverse/config'
import { buildApp } from '@claraverse/app'

const app = await buildApp(loadAppConfig())
const url = await app.listen({ host: '127.0.0.1', port: 0 })
process.send?.({ url })
process.on('message', (m) => { if (m === 'memory') process.send?.({ memory: process.memoryUsage() }) })
