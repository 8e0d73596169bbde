import type { Log } from '@claraverse/logging'
import type { Bus } from './bus.js'
import { createMemoryBus } from './memory.js'
import { createRedisBus } from './redis.js'

export * from './events.js'
export * from './bus.js'
export { createMemoryBus } from './memory.js'
export { createRedisBus, redisOptions, waitReady } from './redis.js'

/** Redis when a URL is configured, in-process otherwise (embedded mode). */
export function openBus(redisUrl: string | undefined, log: Log): Bus {
  return redisUrl ? createRedisBus(redisUrl, log) : createMemoryBus(log)
}
export * from './revocations.js'
