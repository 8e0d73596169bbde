import type { Redis } from 'ioredis'
import type { RevokedEvent } from './events.js'

/**
 * Revocations are also kept in Redis (DESIGN §8) so a gateway that starts after the event was
 * published still knows them. Keys live as long as an access token could.
 */
export const REVOCATION_PREFIX = 'revoked:'

export function revocationKey(event: Pick<RevokedEvent, 'user_id' | 'sid'>): string {
  return event.sid !== undefined ? `${REVOCATION_PREFIX}sid:${event.sid}` : `${REVOCATION_PREFIX}user:${event.user_id ?? ''}`
}

export async function recordRevocation(redis: Redis, event: RevokedEvent, ttlSeconds: number): Promise<void> {
  const key = revocationKey(event)
  // Keep the latest not_before if two revocations of one subject race.
  const current = Number(await redis.get(key)) || 0
  await redis.set(key, String(Math.max(current, event.not_before)), 'EX', Math.max(1, Math.ceil(ttlSeconds)))
}

/** Every recorded revocation, for a gateway starting up. */
export async function loadRevocations(redis: Redis): Promise<RevokedEvent[]> {
  const out: RevokedEvent[] = []
  let cursor = '0'
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${REVOCATION_PREFIX}*`, 'COUNT', 500)
    cursor = next
    if (keys.length === 0) continue
    const values = await redis.mget(...keys)
    keys.forEach((key, i) => {
      const notBefore = Number(values[i])
      if (!Number.isFinite(notBefore)) return
      const rest = key.slice(REVOCATION_PREFIX.length)
      if (rest.startsWith('sid:')) out.push({ sid: rest.slice(4), not_before: notBefore })
      else if (rest.startsWith('user:')) out.push({ user_id: rest.slice(5), not_before: notBefore })
    })
  } while (cursor !== '0')
  return out
}
