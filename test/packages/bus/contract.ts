import type { Test } from 'tap'
import { chatChannel, type Bus, type RevokedEvent } from '@claraverse/bus'

/** Collects events and lets a test wait for a given number of them. */
export function collector<T>(): { events: T[]; handler: (e: T) => void; waitFor: (n: number, ms?: number) => Promise<T[]> } {
  const events: T[] = []
  let wake: (() => void) | undefined
  return {
    events,
    handler: (e: T) => { events.push(e); wake?.() },
    waitFor: (n, ms = 3000) => new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`expected ${n} events, got ${events.length}`)), ms)
      const check = (): void => {
        if (events.length >= n) { clearTimeout(timer); wake = undefined; resolve(events) }
      }
      wake = check
      check()
    }),
  }
}

export const settle = (ms = 150): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** The behaviour every bus adapter must show. `logs` returns what the bus logged so far. */
export function busContract(t: Test, open: () => Promise<Bus>, logs: () => string): void {
  t.test('delivers a published event to every subscriber of the channel', async (t) => {
    const bus = await open()
    t.teardown(() => bus.close())
    const a = collector<RevokedEvent>()
    const b = collector<RevokedEvent>()
    await bus.subscribe('auth.revoked', a.handler)
    await bus.subscribe('auth.revoked', b.handler)
    await bus.publish('auth.revoked', { user_id: 'user_1', not_before: 1700000000 })
    t.same(await a.waitFor(1), [{ user_id: 'user_1', not_before: 1700000000 }])
    t.same(await b.waitFor(1), [{ user_id: 'user_1', not_before: 1700000000 }])
  })

  t.test('channels are separate, and chat channels are per user', async (t) => {
    const bus = await open()
    t.teardown(() => bus.close())
    const alice = collector<unknown>()
    const deleted = collector<unknown>()
    await bus.subscribe(chatChannel('user_alice'), alice.handler)
    await bus.subscribe('auth.user.deleted', deleted.handler)
    await bus.publish(chatChannel('user_bob'), { type: 'stream_chunk', conversation_id: 'c1', content: 'for bob' })
    await bus.publish(chatChannel('user_alice'), { type: 'stream_chunk', conversation_id: 'c2', content: 'for alice' })
    t.same(await alice.waitFor(1), [{ type: 'stream_chunk', conversation_id: 'c2', content: 'for alice' }])
    await settle()
    t.equal(alice.events.length, 1, 'bob\'s event did not reach alice')
    t.equal(deleted.events.length, 0)
  })

  t.test('unsubscribe stops delivery to that handler only', async (t) => {
    const bus = await open()
    t.teardown(() => bus.close())
    const a = collector<unknown>()
    const b = collector<unknown>()
    await bus.subscribe('auth.user.deleted', a.handler)
    await bus.subscribe('auth.user.deleted', b.handler)
    await bus.unsubscribe('auth.user.deleted', a.handler)
    await bus.publish('auth.user.deleted', { user_id: 'user_9' })
    await b.waitFor(1)
    await settle()
    t.equal(a.events.length, 0)
    await bus.unsubscribe('auth.user.deleted', b.handler)
    await bus.publish('auth.user.deleted', { user_id: 'user_10' })
    await settle()
    t.equal(b.events.length, 1, 'nothing after the last handler left')
  })

  t.test('invalid events are logged and dropped; valid ones after them still arrive', async (t) => {
    const bus = await open()
    t.teardown(() => bus.close())
    const got = collector<unknown>()
    await bus.subscribe('auth.revoked', got.handler)
    // Wrong shapes, as a buggy or older publisher might send them.
    await bus.publish('auth.revoked', { not_before: 1 } as RevokedEvent)
    await bus.publish('auth.revoked', { user_id: 42, not_before: 1 } as unknown as RevokedEvent)
    await bus.publish('auth.revoked', { user_id: 'u', not_before: 1, admin: true } as unknown as RevokedEvent)
    await bus.publish('auth.revoked', { sid: 'sid_ok', not_before: 5 })
    t.same(await got.waitFor(1), [{ sid: 'sid_ok', not_before: 5 }])
    await settle()
    t.equal(got.events.length, 1, 'only the valid event was delivered')
    t.match(logs(), /dropped an invalid bus event/)
    t.match(logs(), /user_id or sid required/)
  })

  t.test('a handler that throws does not stop the others', async (t) => {
    const bus = await open()
    t.teardown(() => bus.close())
    const ok = collector<unknown>()
    await bus.subscribe('auth.user.deleted', () => { throw new Error('handler bug') })
    await bus.subscribe('auth.user.deleted', async () => { throw new Error('async handler bug') })
    await bus.subscribe('auth.user.deleted', ok.handler)
    await bus.publish('auth.user.deleted', { user_id: 'user_x' })
    await ok.waitFor(1)
    await settle()
    t.match(logs(), /bus handler failed/)
  })
}
