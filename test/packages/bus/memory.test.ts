import t from 'tap'
import { createMemoryBus } from '@claraverse/bus'
import { createLogger } from '@claraverse/logging'
import { logCapture } from '../../helpers/log-capture.js'
import { busContract } from './contract.js'

const cap = logCapture()
busContract(t, async () => createMemoryBus(createLogger({ name: 'bus', destination: cap.stream })), cap.text)

t.test('a closed memory bus refuses to publish', async (t) => {
  const bus = createMemoryBus(createLogger({ name: 'bus', level: 'silent' }))
  await bus.close()
  await t.rejects(bus.publish('auth.user.deleted', { user_id: 'u' }), /closed/)
})
