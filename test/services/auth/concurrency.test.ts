import t, { type Test } from 'tap'
import { randomBytes } from 'node:crypto'
import { openStore } from '@claraverse/store'
import { needServer, MONGODB_URI } from '../../helpers/servers.js'
import { authHarness, PASSWORD } from './harness.js'

type Harness = Awaited<ReturnType<typeof authHarness>>

async function firstAdminRace(t: Test, h: Harness): Promise<void> {
  const results = await Promise.all(Array.from({ length: 50 }, (_, i) => h.register(`racer${i}@example.com`)))
  t.same([...new Set(results.map((r) => r.statusCode))], [201], 'all 50 registered')
  const admins = results.filter((r) => r.json().user.role === 'admin')
  t.equal(admins.length, 1, 'exactly one admin')
  const list = await h.app.inject({ url: '/api/admin/users?page_size=100', headers: h.as(admins[0]!.json().access_token) })
  t.equal(list.json().total_count, 50)
  t.equal(list.json().users.filter((u: { role: string }) => u.role === 'admin').length, 1, 'and the store agrees')
  const later = await h.register('late@example.com')
  t.equal(later.json().user.role, 'user', 'the claim is spent for good')

  const same = await Promise.all(Array.from({ length: 20 }, () => h.register('SAME@example.com', PASSWORD)))
  t.equal(same.filter((r) => r.statusCode === 201).length, 1, 'one email, one account, even concurrently')
  t.equal(same.filter((r) => r.statusCode === 409).length, 19)
}

t.test('first user becomes admin exactly once (SQLite)', async (t) => {
  await firstAdminRace(t, await authHarness(t))
})

t.test('first user becomes admin exactly once (MongoDB protocol)', async (t) => {
  if (!(await needServer(t, 'MongoDB', MONGODB_URI))) return
  const database = `claraverse_auth_test_${randomBytes(4).toString('hex')}`
  await firstAdminRace(t, await authHarness(t, { store: () => openStore({ service: 'auth', mongodbUri: MONGODB_URI, dataDir: '/nonexistent', database }) }))
})
