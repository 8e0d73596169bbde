// Child process for the fan-out test: one app replica, configured from the environment.
import { loadAppConfig } from '@claraverse/config'
import { buildApp } from '@claraverse/app'

const app = await buildApp(loadAppConfig())
const url = await app.listen({ host: '127.0.0.1', port: 0 })
process.stdout.write(`listening ${url}\n`)
process.on('SIGTERM', () => { void app.close().then(() => process.exit(0)) })
