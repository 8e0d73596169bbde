import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import t from 'tap'
import { openSqliteStore, openStore, StoreUnavailable } from '@claraverse/store'
import { storeContract, uniqueName } from './contract.js'

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'claraverse-store-'))
t.teardown(() => fs.rmSync(dataDir, { recursive: true, force: true }))
const database = uniqueName('contract')

t.test('sqlite adapter meets the store contract', async (t) => {
  storeContract(t, () => openStore({ service: 'auth', dataDir, database }))
})

t.test('openStore picks SQLite without a MongoDB URI, in <dataDir>/claraverse_<service>.sqlite', async (t) => {
  const store = await openStore({ service: 'app', dataDir, mongodbUri: '' })
  t.teardown(() => store.close())
  t.equal(store.kind, 'sqlite')
  t.ok(fs.existsSync(path.join(dataDir, 'claraverse_app.sqlite')))
  const raw = new Database(path.join(dataDir, 'claraverse_app.sqlite'), { readonly: true })
  t.teardown(() => raw.close())
  t.equal(raw.pragma('journal_mode', { simple: true }), 'wal')
})

t.test('the sweep deletes expired documents from the file', async (t) => {
  const name = uniqueName('sweep')
  const store = await openSqliteStore({ dataDir, database: name, sweepIntervalMs: 50 })
  t.teardown(() => store.close())
  const c = await store.collection<{ _id: string; exp?: number }>('tokens', { expiresAtField: 'exp' })
  await c.insertOne({ _id: 'old', exp: Date.now() - 1 })
  await c.insertOne({ _id: 'live', exp: Date.now() + 60_000 })
  await c.insertOne({ _id: 'forever' })
  await new Promise((resolve) => setTimeout(resolve, 300))
  const raw = new Database(path.join(dataDir, `${name}.sqlite`), { readonly: true })
  t.teardown(() => raw.close())
  t.strictSame(raw.prepare('SELECT _id FROM tokens ORDER BY _id').pluck().all(), ['forever', 'live'])
})

t.test('unique indexes are SQLite indexes, not JS checks', async (t) => {
  const name = uniqueName('idx')
  const store = await openSqliteStore({ dataDir, database: name })
  t.teardown(() => store.close())
  await store.collection('users', { indexes: [{ fields: ['email'], unique: true }] })
  const raw = new Database(path.join(dataDir, `${name}.sqlite`))
  t.teardown(() => raw.close())
  // A second process writing the same file directly is refused by SQLite itself.
  raw.prepare('INSERT INTO users (_id, doc) VALUES (?, ?)').run('a', JSON.stringify({ _id: 'a', email: 'e' }))
  t.throws(() => raw.prepare('INSERT INTO users (_id, doc) VALUES (?, ?)').run('b', JSON.stringify({ _id: 'b', email: 'e' })), { code: 'SQLITE_CONSTRAINT_UNIQUE' })
})

t.test('an unusable store is StoreUnavailable', async (t) => {
  const file = path.join(dataDir, 'not-a-dir')
  fs.writeFileSync(file, '')
  await t.rejects(openStore({ service: 'auth', dataDir: file }), StoreUnavailable, 'data dir is a file')

  const name = uniqueName('busy')
  const store = await openSqliteStore({ dataDir, database: name, busyTimeoutMs: 100 })
  const c = await store.collection('things')
  const other = new Database(path.join(dataDir, `${name}.sqlite`))
  other.exec('BEGIN IMMEDIATE') // another process holds the write lock
  const started = Date.now()
  await t.rejects(c.insertOne({ _id: 'a' }), { code: 'STORE_UNAVAILABLE', statusCode: 503 }, 'write lock held elsewhere')
  t.ok(Date.now() - started < 2000, 'fails after the busy timeout, not never')
  other.exec('ROLLBACK')
  other.close()
  await t.resolves(c.insertOne({ _id: 'a' }), 'works again once the lock is released')

  await store.close()
  await t.rejects(c.findOne({ _id: 'a' }), StoreUnavailable, 'after close')
  await t.rejects(store.ping(), StoreUnavailable, 'ping after close')
})
