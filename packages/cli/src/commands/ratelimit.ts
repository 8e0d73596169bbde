import { Redis } from 'ioredis'
import { clearableKey } from '@claraverse/gateway'
import { redisOptions } from '@claraverse/bus'
import { UsageError, type Command } from './types.js'

/** `claraverse ratelimit clear <key>`: the security guide's `redis-cli DEL "ratelimit:user_abc123"`. */
export const ratelimitCommand: Command = {
  usage: `Usage: claraverse ratelimit clear <key>

Clears one rate-limit counter in the Redis of REDIS_URL, for every gateway replica at once.
  <key>  a user id (user_abc123: the per-user tier) or <tier>:<address> for an IP tier,
         tier one of global, public, ws, image, auth (e.g. auth:203.0.113.7)
`,
  async run(args, io) {
    const [action, key, extra] = args
    if (action !== 'clear' || key === undefined || extra !== undefined) throw new UsageError('expected: ratelimit clear <key>')
    const redisKey = clearableKey(key)
    if (!redisKey) throw new UsageError(`"${key}" is not a rate-limit key (user_abc123 or <tier>:<address>)`)
    const url = io.env['REDIS_URL']
    if (!url) throw new UsageError('REDIS_URL is not set: rate limits are shared through Redis (embedded mode keeps them in memory; restart it instead)', 1)
    const redis = new Redis(url, { ...redisOptions, lazyConnect: true, retryStrategy: () => null })
    try {
      await redis.connect()
      const removed = await redis.del(redisKey)
      io.out(removed > 0 ? `cleared ${redisKey}\n` : `${redisKey} had no active limit\n`)
      return 0
    } catch (err) {
      throw new UsageError(`could not reach Redis at REDIS_URL: ${(err as Error).message}`, 1)
    } finally {
      redis.disconnect()
    }
  },
}
