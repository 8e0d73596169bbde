import net from 'node:net'
import os from 'node:os'
import { MongoClient } from 'mongodb'
import t from 'tap'
import { openMongoStore, openStore, StoreUnavailable } from '@claraverse/store'
import { MONGODB_URI, needServer } from '../../helpers/servers.js'
import { storeContract, uniqueName } from './contract.js'

const dataDir = os.tmpdir() // unused by the MongoDB adapter, required by openStore
const database = uniqueName('claraverse_test')

if (await needServer(t, 'MongoDB', MONGODB_URI)) {
  const admin = new MongoClient(MONGODB_URI, { serverSelectionTimeoutMS: 3000 })
  t.teardown(async () => {
    await admin.db(database).dropDatabase().catch(() => {})
    await admin.close()
  })

  // FerretDB v1 (the CI server) runs findAndModify and $inc as a query followed by a blind
  // write, so concurrent updates can both apply; real MongoDB applies them atomically.
  const info = await admin.db('admin').command({ buildInfo: 1 })
  const ferret = typeof info['ferretdbVersion'] === 'string' && info['ferretdbVersion'].startsWith('v1.')
  const nonAtomicServer = ferret ? `FerretDB ${String(info['ferretdbVersion'])} does not apply updates atomically` : undefined

  t.test('mongodb adapter meets the store contract', async (t) => {
    // Each open is a new client: the reopen case is a real reconnect.
    const open = (): ReturnType<typeof openStore> => openStore({ service: 'auth', mongodbUri: MONGODB_URI, dataDir, database })
    storeContract(t, open, nonAtomicServer !== undefined ? { nonAtomicServer } : {})
  })

  t.test('openStore picks MongoDB and names the database after the service', async (t) => {
    const store = await openStore({ service: 'app', mongodbUri: MONGODB_URI, dataDir })
    t.teardown(() => store.close())
    t.equal(store.kind, 'mongodb')
    await store.ping()
  })

  t.test('expired documents are purged by a TTL index or, where refused, by the sweep', async (t) => {
    const store = await openMongoStore({ uri: MONGODB_URI, database, sweepIntervalMs: 50 })
    t.teardown(() => store.close())
    const name = uniqueName('ttl')
    const c = await store.collection<{ _id: string; exp?: number }>(name, { expiresAtField: 'exp' })
    await c.insertOne({ _id: 'old', exp: Date.now() - 1 })
    await c.insertOne({ _id: 'live', exp: Date.now() + 60_000 })
    const raw = admin.db(database).collection(name)
    const indexes = await raw.listIndexes().toArray()
    const ttl = indexes.find((i) => i['expireAfterSeconds'] !== undefined)
    const stored = await raw.findOne({ _id: 'live' as never })
    t.ok(stored?.['_expireAt'] instanceof Date, 'a BSON Date shadows the expiry for TTL')
    t.equal((stored?.['_expireAt'] as Date).getTime(), stored?.['exp'])
    if (ttl !== undefined) {
      t.comment('server supports TTL indexes; its monitor purges within ~60 s')
      t.strictSame(ttl['key'], { _expireAt: 1 })
      t.equal(ttl['expireAfterSeconds'], 0)
    } else {
      t.comment('server refused the TTL index (FerretDB v1); the adapter sweeps instead')
      await new Promise((resolve) => setTimeout(resolve, 300))
      t.strictSame((await raw.find({}).toArray()).map((d) => d._id), ['live'], 'the sweep deleted the expired document')
    }
  })

  t.test('an unreachable server is StoreUnavailable, quickly', async (t) => {
    const port = await closedPort()
    const started = Date.now()
    const uri = `mongodb://127.0.0.1:${port}`
    await t.rejects(openStore({ service: 'auth', mongodbUri: uri, dataDir, serverSelectionTimeoutMS: 500 }), StoreUnavailable)
    t.ok(Date.now() - started < 3000, `failed in ${Date.now() - started} ms`)
  })

  t.test('a server that goes away mid-life is StoreUnavailable', async (t) => {
    const target = new URL(MONGODB_URI)
    const proxy = await tcpProxy(target.hostname, Number(target.port || 27017))
    const store = await openMongoStore({ uri: `mongodb://127.0.0.1:${proxy.port}/?directConnection=true`, database, serverSelectionTimeoutMS: 500 })
    t.teardown(() => store.close())
    const c = await store.collection<{ _id: string }>(uniqueName('away'))
    await c.insertOne({ _id: 'a' })
    await proxy.close()
    const started = Date.now()
    await t.rejects(c.findOne({ _id: 'a' }), { name: 'StoreUnavailable', code: 'STORE_UNAVAILABLE', statusCode: 503 })
    await t.rejects(c.insertOne({ _id: 'b' }), StoreUnavailable)
    await t.rejects(store.ping(), StoreUnavailable)
    t.ok(Date.now() - started < 5000, `failed in ${Date.now() - started} ms`)
  })
}

/** A port nothing listens on: bind one, then free it. */
async function closedPort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** Forwards TCP to the real server until closed, then cuts every connection, like a crash. */
async function tcpProxy(host: string, port: number): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>()
  const server = net.createServer((client) => {
    const upstream = net.connect(port, host)
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.on('error', () => {})
      s.on('close', () => sockets.delete(s))
    }
    client.pipe(upstream).pipe(client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as net.AddressInfo).port,
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}
