// Child process for the two-process test: subscribes through the Redis bus and prints each event.
import { createRedisBus } from '@claraverse/bus'
import { createLogger } from '@claraverse/logging'

const bus = createRedisBus(process.argv[2] ?? '', createLogger({ name: 'child', level: 'silent' }))
await bus.subscribe('auth.revoked', (event) => { process.stdout.write(`event ${JSON.stringify(event)}\n`) })
process.stdout.write('subscribed\n')
process.on('SIGTERM', () => { void bus.close().then(() => process.exit(0)) })
