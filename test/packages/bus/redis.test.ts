import t from 'tap'
import { resolve } from 'node:path'
import { Redis } from 'ioredis'
import { createRedisBus, type RevokedEvent } from '@claraverse/bus'
import { createLogger } from '@claraverse/logging'
import { logCapture } from '../../helpers/log-capture.js'
import { needServer, REDIS_URL } from '../../helpers/servers.js'
import { OwnedRedis } from '../../helpers/redis-server.js'
import { spawnNode } from '../../helpers/spawn.js'
import { busContract, collector, settle } from './contract.js'

t.test('Redis bus', async (t) => {
  if (!(await needServer(t, 'Redis', REDIS_URL))) return
  const cap = logCapture()
  const log = createLogger({ name: 'bus', destination: cap.stream })
  busContract(t, async () => {
    const bus = createRedisBus(REDIS_URL, log)
    await settle(50)
    return bus
  }, cap.text)

  t.test('a raw non-JSON message on a channel is dropped, not fatal', async (t) => {
    const bus = createRedisBus(REDIS_URL, log)
    t.teardown(() => bus.close())
    const got = collector<unknown>()
    await bus.subscribe('auth.user.deleted', got.handler)
    const raw = new Redis(REDIS_URL)
    t.teardown(() => raw.disconnect())
    await raw.publish('auth.user.deleted', '{not json')
    await raw.publish('auth.user.deleted', JSON.stringify({ v: 99, channel: 'auth.user.deleted', at: 0, data: { user_id: 'x' } }))
    await bus.publish('auth.user.deleted', { user_id: 'after' })
    t.same(await got.waitFor(1), [{ user_id: 'after' }])
    t.match(cap.text(), /not JSON/)
    t.match(cap.text(), /unsupported version 99/)
  })

  t.test('two subscriber processes both receive an event', async (t) => {
    const script = resolve('test/packages/bus/redis-subscriber.ts')
    const children = [0, 1].map(() => {
      const p = spawnNode('--import=tsx', [script, REDIS_URL], { ...process.env })
      return p
    })
    t.teardown(() => { for (const c of children) c.child.kill('SIGKILL') })
    for (const c of children) await c.waitFor(/subscribed/)
    const bus = createRedisBus(REDIS_URL, log)
    t.teardown(() => bus.close())
    await settle(100)
    await bus.publish('auth.revoked', { user_id: 'user_two', not_before: 123 })
    for (const c of children) {
      const [, json] = await c.waitFor(/event (.*)\n/)
      t.same(JSON.parse(json!), { user_id: 'user_two', not_before: 123 })
    }
  })

  t.test('subscriptions come back by themselves after Redis restarts', async (t) => {
    const server = await OwnedRedis.start()
    t.teardown(() => server.stop())
    const bus = createRedisBus(server.url, createLogger({ name: 'bus', level: 'silent' }))
    t.teardown(() => bus.close())
    const got = collector<RevokedEvent>()
    await bus.subscribe('auth.revoked', got.handler)
    await settle(100)
    await bus.publish('auth.revoked', { sid: 'before', not_before: 1 })
    await got.waitFor(1)

    await server.stop()
    await t.rejects(bus.publish('auth.revoked', { sid: 'during', not_before: 2 }), 'publishing while down fails fast instead of queueing')
    await server.start()
    // Publish until the resubscribed connection hears it (reconnect backs off up to 2 s).
    const deadline = Date.now() + 10_000
    while (got.events.length < 2 && Date.now() < deadline) {
      await bus.publish('auth.revoked', { sid: 'after', not_before: 3 }).catch(() => undefined)
      await settle(200)
    }
    t.same(got.events[0], { sid: 'before', not_before: 1 })
    t.same(got.events[1], { sid: 'after', not_before: 3 }, 'delivery resumed after the restart')
    t.notOk(got.events.some((e) => e.sid === 'during'), 'nothing published during the outage was replayed')
  })
})
