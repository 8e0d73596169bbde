import { Redis, type RedisOptions } from 'ioredis'
import type { Log } from '@claraverse/logging'
import { Dispatcher, type Bus } from './bus.js'
import { encode } from './events.js'

/** Options for every connection this system makes: fail fast instead of queueing while down. */
export const redisOptions: RedisOptions = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  connectTimeout: 2000,
  commandTimeout: 1000,
  // Reconnect forever, backing off to 2 s, so recovery after an outage is automatic.
  retryStrategy: (times) => Math.min(times * 100, 2000),
}

/** Resolves once the connection is ready, rejects after `ms`; for connections without an offline queue. */
export function waitReady(redis: Redis, ms: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve()
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { redis.off('ready', onReady); reject(new Error('Redis not ready')) }, ms)
    const onReady = (): void => { clearTimeout(timer); resolve() }
    redis.once('ready', onReady)
  })
}

/**
 * Redis pub/sub. Publishing uses the given connection; subscribing needs its own, since a
 * connection in subscriber mode can do nothing else. ioredis resubscribes after a reconnect.
 */
export function createRedisBus(url: string, log: Log): Bus {
  const dispatcher = new Dispatcher(log)
  const publisher = new Redis(url, { ...redisOptions, lazyConnect: false })
  // The subscriber keeps its queue: a subscribe issued while reconnecting waits instead of failing.
  const subscriber = new Redis(url, { ...redisOptions, enableOfflineQueue: true, commandTimeout: undefined, maxRetriesPerRequest: null, autoResubscribe: true })
  for (const [name, conn] of [['publisher', publisher], ['subscriber', subscriber]] as const) {
    conn.on('error', (err: Error) => log.warn({ err: { message: err.message }, connection: name }, 'bus Redis connection error'))
  }
  subscriber.on('message', (channel: string, text: string) => dispatcher.deliver(channel, text))
  return {
    kind: 'redis',
    async publish(channel, event) {
      // Right after start the first connection may still be opening; during an outage, fail fast.
      if (publisher.status === 'connecting' || publisher.status === 'connect') await waitReady(publisher, 2000)
      await publisher.publish(channel, encode(channel, event))
    },
    async subscribe(channel, handler) {
      if (dispatcher.add(channel, handler as never)) await subscriber.subscribe(channel)
    },
    async unsubscribe(channel, handler) {
      if (dispatcher.remove(channel, handler as never)) await subscriber.unsubscribe(channel)
    },
    async close() {
      dispatcher.clear()
      publisher.disconnect()
      subscriber.disconnect()
    },
  }
}
