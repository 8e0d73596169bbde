import t, { type Test } from 'tap'
import { EventEmitter } from 'node:events'
import { watchHeartbeats } from '@claraverse/store'

const STUCK_MS = 200
const settle = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

function watched(t: Test): { client: EventEmitter; recoveries: () => number } {
  const client = new EventEmitter()
  let recoveries = 0
  const stop = watchHeartbeats(client, STUCK_MS, async () => { recoveries++ })
  t.teardown(stop)
  return { client, recoveries: () => recoveries }
}

t.test('a server check that never ends makes the store reconnect (mongodb driver wedged after a restart)', async (t) => {
  const { client, recoveries } = watched(t)
  client.emit('serverHeartbeatStarted', { connectionId: 'db:27017', awaited: false })
  await settle(STUCK_MS * 2.5)
  t.equal(recoveries(), 1, 'one recovery for a wedged check')
  await settle(STUCK_MS * 2)
  t.equal(recoveries(), 1, 'and not again while no new check is wedged')
})

t.test('checks that end, streaming checks and other servers\' checks do not', async (t) => {
  const { client, recoveries } = watched(t)
  for (let i = 0; i < 6; i++) {
    client.emit('serverHeartbeatStarted', { connectionId: 'a:27017', awaited: false })
    await settle(STUCK_MS / 3)
    client.emit(i % 2 === 0 ? 'serverHeartbeatSucceeded' : 'serverHeartbeatFailed', { connectionId: 'a:27017' })
  }
  // A streaming check waits for the server's next change by design.
  client.emit('serverHeartbeatStarted', { connectionId: 'b:27017', awaited: true })
  await settle(STUCK_MS * 2)
  t.equal(recoveries(), 0, 'no recovery for checks that end or wait by design')

  // One server's finished check does not hide another's wedged one.
  client.emit('serverHeartbeatStarted', { connectionId: 'c:27017', awaited: false })
  client.emit('serverHeartbeatStarted', { connectionId: 'd:27017', awaited: false })
  client.emit('serverHeartbeatSucceeded', { connectionId: 'd:27017' })
  await settle(STUCK_MS * 2.5)
  t.equal(recoveries(), 1, 'a wedged check on one server is noticed whatever the others do')
})
