// Plain JavaScript on purpose: the gateway as in production, for the WebSocket benchmark.
import { loadGatewayConfig } from '@claraverse/config'
import { buildApp } from '@claraverse/gateway'

const app = await buildApp(loadGatewayConfig())
const url = await app.listen({ host: '127.0.0.1', port: 0 })
process.send?.({ url })
process.on('message', (m) => {
  if (m === 'memory') {
    globalThis.gc?.()
    process.send?.({ memory: process.memoryUsage(), sockets: app.sockets.size })
  }
})
