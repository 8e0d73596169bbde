import type { Log } from '@claraverse/logging'
import { Dispatcher, type Bus } from './bus.js'
import { encode } from './events.js'

/**
 * In-process bus for embedded mode. Events still go through JSON and validation, and are
 * delivered on a later tick, so code behaves as it will over Redis.
 */
export function createMemoryBus(log: Log): Bus {
  const dispatcher = new Dispatcher(log)
  let closed = false
  return {
    kind: 'memory',
    async publish(channel, event) {
      if (closed) throw new Error('bus is closed')
      const text = encode(channel, event)
      setImmediate(() => dispatcher.deliver(channel, text))
    },
    async subscribe(channel, handler) {
      dispatcher.add(channel, handler as never)
    },
    async unsubscribe(channel, handler) {
      dispatcher.remove(channel, handler as never)
    },
    async close() {
      closed = true
      dispatcher.clear()
    },
  }
}
