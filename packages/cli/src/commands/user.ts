import { Redis } from 'ioredis'
import { loadAuthConfig } from '@claraverse/config'
import { openStore } from '@claraverse/store'
import { createRedisBus, recordRevocation, redisOptions } from '@claraverse/bus'
import { createLogger } from '@claraverse/logging'
import { AuditLog, Users, canonicalEmail } from '@claraverse/auth'
import { UsageError, type Command, type Io } from './types.js'

/** Tells running gateways that the user's tokens (which carry the old role) are void. */
async function announceRevocation(io: Io, userId: string, accessTtl: number): Promise<void> {
  const url = io.env['REDIS_URL']
  if (!url) {
    io.out('note: REDIS_URL is not set, so running gateways keep accepting the old tokens until they expire (or restart embedded mode)\n')
    return
  }
  const event = { user_id: userId, not_before: Math.ceil(Date.now() / 1000) }
  const redis = new Redis(url, { ...redisOptions, lazyConnect: true, retryStrategy: () => null })
  const bus = createRedisBus(url, createLogger({ name: 'cli', level: 'silent' }))
  try {
    await redis.connect()
    await recordRevocation(redis, event, accessTtl + 60)
    await bus.publish('auth.revoked', event)
  } finally {
    redis.disconnect()
    await bus.close()
  }
}

/** `claraverse user promote <email>`: makes an account an admin, on the auth service's own store. */
export const userCommand: Command = {
  usage: `Usage: claraverse user promote <email>

Gives the account with this email the admin role, in the store the auth service uses
(MONGODB_URI, or the embedded store under DATA_DIR), revokes its current tokens so the new role
takes effect at the next refresh (through REDIS_URL), and writes an audit event.
`,
  async run(args, io) {
    const [action, rawEmail, extra] = args
    if (action !== 'promote' || rawEmail === undefined || extra !== undefined) throw new UsageError('expected: user promote <email>')
    const email = canonicalEmail(rawEmail)
    if (!email) throw new UsageError(`"${rawEmail}" is not an email address`)
    const config = loadAuthConfig(io.env)
    const store = await openStore({ service: 'auth', mongodbUri: config.mongodbUri, dataDir: config.dataDir })
    try {
      const users = await Users.open(store)
      const user = await users.byEmail(email)
      if (!user) throw new UsageError(`no account with the email ${email}`, 1)
      if (user.role === 'admin') {
        io.out(`${email} (${user._id}) is already an admin\n`)
        return 0
      }
      await users.update(user._id, { role: 'admin' })
      const audit = await AuditLog.open(store, createLogger({ name: 'cli', level: 'silent' }))
      await audit.write('admin.user_updated', { actor: 'ops_cli', target: user._id, details: { role: 'admin', previous_role: user.role } })
      await announceRevocation(io, user._id, config.accessTokenTtl)
      io.out(`${email} (${user._id}) is now an admin\n`)
      return 0
    } finally {
      await store.close()
    }
  },
}
