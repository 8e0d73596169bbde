/**
 * The one contract every Store adapter must meet (DESIGN §11). Each adapter's test file calls
 * `storeContract` with a way to open its store; the same cases then run against the real
 * backend. Collections get random names so runs never see each other's data.
 */
import { randomBytes } from 'node:crypto'
import type { Test } from 'tap'
import { DuplicateKeyError, type Collection, type CollectionSpec, type Doc, type Filter, type Store } from '@claraverse/store'

export interface ContractOptions {
  /** Opens the same data again after close (SQLite: same dataDir; MongoDB: a new client). */
  reopen?: () => Promise<Store>
  /**
   * Set, with the reason, for a server known to apply updates as read-then-write (FerretDB v1):
   * the concurrency assertions are then reported as todo instead of failing.
   */
  nonAtomicServer?: string
}

interface Item extends Doc {
  n?: number | string
  s?: string
  b?: boolean | number
  z?: string | null
  tags?: string[]
  meta?: { [k: string]: unknown }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
export const uniqueName = (prefix: string): string => `${prefix}_${randomBytes(4).toString('hex')}`

export function storeContract(t: Test, open: () => Promise<Store>, options: ContractOptions = {}): void {
  let store: Store
  t.before(async () => { store = await open() })
  t.teardown(async () => { await store.close() })

  const fresh = <T extends Doc = Item>(spec?: CollectionSpec): Promise<Collection<T>> => store.collection<T>(uniqueName('c'), spec)

  t.test('ping answers', async (t) => {
    await t.resolves(store.ping())
  })

  t.test('insert, read, update, delete', async (t) => {
    const c = await fresh()
    const doc: Item = { _id: 'a', n: 1, s: 'x', tags: ['p', 'q'], meta: { deep: { ok: true }, list: [1, null] } }
    await c.insertOne(doc)
    t.strictSame(await c.findOne({ _id: 'a' }), doc, 'nested values round-trip')
    t.equal(await c.findOne({ _id: 'nope' }), null)
    await c.insertOne({ _id: 'b', n: 2 })
    t.equal(await c.count({}), 2)
    t.strictSame((await c.find({}, { sort: { _id: 1 } })).map((d) => d._id), ['a', 'b'])
    t.equal(await c.updateOne({ _id: 'b' }, { $set: { s: 'y' } }), 1)
    t.equal(await c.updateOne({ _id: 'zz' }, { $set: { s: 'y' } }), 0, 'no match, no count')
    t.strictSame(await c.findOne({ _id: 'b' }), { _id: 'b', n: 2, s: 'y' })
    t.equal(await c.deleteOne({ _id: 'a' }), 1)
    t.equal(await c.deleteOne({ _id: 'a' }), 0)
    await c.insertOne({ _id: 'c', n: 2 })
    t.equal(await c.deleteMany({ n: 2 }), 2)
    t.equal(await c.count({}), 0)
  })

  t.test('filter operators', async (t) => {
    const c = await fresh()
    const docs: Item[] = [
      { _id: 'a', n: 1, s: 'apple', b: true, z: null },
      { _id: 'b', n: 2, s: 'banana', b: false, z: 'zed' },
      { _id: 'c', n: 3, s: 'cherry', b: true },
      { _id: 'd', n: 2.5, s: 'date' },
      { _id: 'e', n: '2', s: '10', b: 1 },
      { _id: 'f' },
    ]
    for (const d of docs) await c.insertOne(d)
    const ids = async (filter: Filter<Item>): Promise<string[]> => (await c.find(filter)).map((d) => d._id).sort()
    const cases: [string, Filter<Item>, string[]][] = [
      ['bare equality', { n: 2 }, ['b']],
      ['$eq does not coerce a string', { n: { $eq: 2 } }, ['b']],
      ['string equality', { n: '2' }, ['e']],
      ['several fields are ANDed', { n: 1, s: 'apple' }, ['a']],
      ['several fields, one misses', { n: 1, s: 'banana' }, []],
      ['$ne includes absent fields', { n: { $ne: 2 } }, ['a', 'c', 'd', 'e', 'f']],
      ['$in', { n: { $in: [1, 3] } }, ['a', 'c']],
      ['$in empty matches nothing', { n: { $in: [] } }, []],
      ['$in on _id', { _id: { $in: ['a', 'zz', 'f'] } }, ['a', 'f']],
      ['$in with null matches absent', { n: { $in: [2, null] } } as Filter<Item>, ['b', 'f']],
      ['$gt compares numbers only', { n: { $gt: 2 } }, ['c', 'd']],
      ['$gte', { n: { $gte: 2 } }, ['b', 'c', 'd']],
      ['$lt', { n: { $lt: 2 } }, ['a']],
      ['$lte', { n: { $lte: 2 } }, ['a', 'b']],
      ['range', { n: { $gt: 1, $lt: 3 } }, ['b', 'd']],
      ['string range compares strings only', { s: { $gte: 'b', $lt: 'd' } }, ['b', 'c']],
      ['$gt on _id', { _id: { $gt: 'd' } }, ['e', 'f']],
      ['true is not 1', { b: true }, ['a', 'c']],
      ['false is not 0', { b: false }, ['b']],
      ['1 is not true', { b: 1 }, ['e']],
      ['$ne true', { b: { $ne: true } }, ['b', 'd', 'e', 'f']],
      ['$gt false', { b: { $gt: false } }, ['a', 'c']],
      ['null matches null and absent', { z: null }, ['a', 'c', 'd', 'e', 'f']],
      ['$ne null', { z: { $ne: null } }, ['b']],
      ['$exists true counts null as present', { z: { $exists: true } }, ['a', 'b']],
      ['$exists false', { z: { $exists: false } }, ['c', 'd', 'e', 'f']],
      ['$exists on _id', { _id: { $exists: true } }, ['a', 'b', 'c', 'd', 'e', 'f']],
      ['empty filter', {}, ['a', 'b', 'c', 'd', 'e', 'f']],
    ]
    for (const [name, filter, expected] of cases) {
      t.strictSame(await ids(filter), expected, name)
      t.equal(await c.count(filter), expected.length, `${name} (count)`)
    }
  })

  t.test('filters outside the language are refused', async (t) => {
    const c = await fresh()
    await c.insertOne({ _id: 'a', n: 1 })
    // Casts stand in for values that arrive from untyped JSON.
    const bad = [
      { n: undefined },
      { n: { $regex: '.*' } },
      { n: { nested: 1 } },
      { n: [1] },
      { 'a.b': 1 },
      { 'x"); DROP TABLE t; --': 1 },
      { n: { $in: 'x' } },
      { n: { $exists: 1 } },
    ] as unknown as Filter<Item>[]
    for (const filter of bad) await t.rejects(c.find(filter), Error, JSON.stringify(filter) ?? 'undefined')
    await t.rejects(store.collection('bad name'), Error, 'collection names are checked')
    t.equal(await c.count({}), 1, 'nothing was harmed')
  })

  t.test('sort, limit, skip', async (t) => {
    const c = await fresh()
    for (const [id, n, s] of [['a', 3, 'y'], ['b', 1, 'x'], ['c', 5, 'x'], ['d', 2, 'y'], ['e', 4, 'x']] as const) {
      await c.insertOne({ _id: id, n, s })
    }
    const ids = (docs: Item[]): string[] => docs.map((d) => d._id)
    t.strictSame(ids(await c.find({}, { sort: { n: 1 } })), ['b', 'd', 'a', 'e', 'c'])
    t.strictSame(ids(await c.find({}, { sort: { n: -1 }, limit: 2 })), ['c', 'e'])
    t.strictSame(ids(await c.find({}, { sort: { n: 1 }, skip: 1, limit: 2 })), ['d', 'a'])
    t.strictSame(ids(await c.find({}, { sort: { n: 1 }, skip: 3 })), ['e', 'c'])
    t.strictSame(ids(await c.find({}, { sort: { s: 1, n: -1 } })), ['c', 'e', 'b', 'a', 'd'], 'multi-key')
    t.strictSame(ids(await c.find({ s: 'x' }, { sort: { n: -1 }, limit: 1 })), ['c'], 'filter, sort and limit')
    t.equal((await c.findOne({}, { sort: { n: -1 } }))?._id, 'c', 'findOne honours sort')
    t.equal((await c.findOne({}, { sort: { n: 1 }, skip: 2 }))?._id, 'a', 'findOne honours skip')
    t.strictSame(ids(await c.find({}, { sort: { n: 1 }, limit: 0 })).length, 5, 'limit 0 means none')
    await t.rejects(c.find({}, { limit: -1 }), Error)
  })

  t.test('$set, $unset, $inc', async (t) => {
    const c = await fresh()
    await c.insertOne({ _id: 'a', n: 1, s: 'x', z: 'gone' })
    await c.insertOne({ _id: 'b', n: 10, s: 'x' })
    t.equal(await c.updateOne({ _id: 'a' }, { $set: { s: 'y', b: true }, $unset: { z: true }, $inc: { n: 2 } }), 1)
    t.strictSame(await c.findOne({ _id: 'a' }), { _id: 'a', n: 3, s: 'y', b: true })
    t.equal(await c.updateOne({ _id: 'a' }, { $inc: { n: -0.5 } }), 1)
    t.equal((await c.findOne({ _id: 'a' }))?.n, 2.5, '$inc by a fraction')
    t.equal(await c.updateMany({ s: { $in: ['x', 'y'] } }, { $set: { tags: ['t'] }, $unset: { s: true } }), 2)
    t.equal(await c.count({ tags: { $exists: true }, s: { $exists: false } }), 2)
    await c.updateOne({ _id: 'b' }, { $inc: { fresh: 5 } })
    t.equal((await c.findOne({ _id: 'b' }))?.['fresh'], 5, '$inc on an absent field sets it')
    t.equal(await c.updateOne({ _id: 'b' }, { $set: { s: undefined, z: 'kept' } }), 1)
    t.strictSame(await c.findOne({ _id: 'b' }), { _id: 'b', n: 10, tags: ['t'], fresh: 5, z: 'kept' }, '$set of undefined is ignored')
    t.equal(await c.updateMany({ n: { $gt: 100 } }, { $set: { s: 'none' } }), 0)
    await t.rejects(c.updateOne({ _id: 'a' }, { $set: { _id: 'b' } } as never), Error, '_id is immutable')
    await t.rejects(c.updateOne({ _id: 'a' }, {}), Error, 'an empty update is refused')
    await t.rejects(c.updateOne({ _id: 'a' }, { $set: { n: 1 }, $inc: { n: 1 } }), Error, 'one field, two operators')
  })

  t.test('findOneAndUpdate returns before or after, and is atomic', async (t) => {
    const c = await fresh()
    await c.insertOne({ _id: 'a', n: 1, s: 'x' })
    t.strictSame(await c.findOneAndUpdate({ _id: 'a' }, { $inc: { n: 1 } }), { _id: 'a', n: 2, s: 'x' }, 'after by default')
    t.strictSame(await c.findOneAndUpdate({ _id: 'a' }, { $inc: { n: 1 } }, { returnDocument: 'before' }), { _id: 'a', n: 2, s: 'x' })
    t.strictSame(await c.findOneAndUpdate({ _id: 'a' }, { $set: { s: 'y' } }, { returnDocument: 'after' }), { _id: 'a', n: 3, s: 'y' })
    t.equal(await c.findOneAndUpdate({ _id: 'a', s: 'x' }, { $set: { s: 'z' } }), null, 'no match → null, no write')
    t.equal((await c.findOne({ _id: 'a' }))?.s, 'y')

    // A one-time code is claimed by 50 racing requests: exactly one may win.
    const codes = await fresh<Doc & { used: boolean }>()
    await codes.insertOne({ _id: 'code', used: false })
    const results = await Promise.all(Array.from({ length: 50 }, () => codes.findOneAndUpdate({ _id: 'code', used: false }, { $set: { used: true } })))
    const todo = options.nonAtomicServer !== undefined ? { todo: options.nonAtomicServer } : {}
    t.equal(results.filter((r) => r !== null).length, 1, 'exactly one claim succeeds', todo)

    // Counters: every increment lands.
    await codes.insertOne({ _id: 'counter', used: false, n: 0 } as Doc & { used: boolean })
    await Promise.all(Array.from({ length: 50 }, () => codes.findOneAndUpdate({ _id: 'counter' }, { $inc: { n: 1 } } as never)))
    t.equal((await codes.findOne({ _id: 'counter' }))?.['n'], 50, 'no lost increments', todo)
  })

  t.test('unique indexes refuse duplicates with a typed error', async (t) => {
    const name = uniqueName('c')
    const spec: CollectionSpec = { indexes: [{ fields: ['email'], unique: true }, { fields: ['org', 'slug'], unique: true }, { fields: ['org'] }] }
    const c = await store.collection<Doc & { email: string; org?: string; slug?: string }>(name, spec)
    const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => c.insertOne({ _id: `u${i}`, email: 'a@example.com' })))
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as unknown)
    t.equal(results.length - rejected.length, 1, 'exactly one insert succeeds')
    t.equal(rejected.length, 49)
    t.ok(rejected.every((e) => e instanceof DuplicateKeyError), 'all others are DuplicateKeyError')
    t.ok(rejected.every((e) => (e as DuplicateKeyError).code === 'STORE_DUPLICATE_KEY' && (e as DuplicateKeyError).statusCode === 409))
    t.strictSame((rejected[0] as DuplicateKeyError).fields, ['email'], 'the refusing index is named')
    t.notMatch((rejected[0] as Error).message, /a@example\.com/, 'the message does not echo the value')
    t.equal(await c.count({ email: 'a@example.com' }), 1)

    await c.insertOne({ _id: 'x', email: 'x@example.com', org: 'o', slug: 's' })
    await t.rejects(c.insertOne({ _id: 'x', email: 'other@example.com' }), { code: 'STORE_DUPLICATE_KEY', fields: ['_id'] }, 'duplicate _id')
    await t.rejects(c.insertOne({ _id: 'y', email: 'y@example.com', org: 'o', slug: 's' }), { code: 'STORE_DUPLICATE_KEY', fields: ['org', 'slug'] }, 'compound')
    await t.resolves(c.insertOne({ _id: 'z', email: 'z@example.com', org: 'o', slug: 't' }), 'compound: one part differs')
    const err = await c.updateOne({ _id: 'z' }, { $set: { email: 'x@example.com' } }).catch((e: unknown) => e)
    t.ok(err instanceof DuplicateKeyError, 'an update into a taken value is refused too')
    t.equal((await c.findOne({ _id: 'z' }))?.email, 'z@example.com', 'and changes nothing')
    const err2 = await c.findOneAndUpdate({ _id: 'z' }, { $set: { email: 'x@example.com' } }).catch((e: unknown) => e)
    t.ok(err2 instanceof DuplicateKeyError, 'findOneAndUpdate into a taken value is refused too')
    await t.resolves(store.collection(name, spec), 'opening a collection again keeps its indexes')
  })

  t.test('expired documents are never returned', async (t) => {
    type Token = Doc & { kind: string; expiresAt?: number }
    const c = await fresh<Token>({ expiresAtField: 'expiresAt', indexes: [{ fields: ['kind'], unique: true }] })
    const now = Date.now()
    await c.insertOne({ _id: 'old', kind: 'k1', expiresAt: now - 1 })
    await c.insertOne({ _id: 'live', kind: 'k2', expiresAt: now + 60_000 })
    await c.insertOne({ _id: 'forever', kind: 'k3' })
    await c.insertOne({ _id: 'short', kind: 'k4', expiresAt: now + 400 })
    t.strictSame((await c.find({}, { sort: { _id: 1 } })).map((d) => d._id), ['forever', 'live', 'short'])
    t.equal(await c.findOne({ _id: 'old' }), null)
    t.strictSame(await c.findOne({ _id: 'live' }), { _id: 'live', kind: 'k2', expiresAt: now + 60_000 }, 'no bookkeeping fields leak')
    t.equal(await c.count({}), 3)
    t.equal(await c.updateOne({ _id: 'old' }, { $set: { kind: 'k9' } }), 0, 'updates skip expired documents')
    t.equal(await c.findOneAndUpdate({ _id: 'old' }, { $set: { kind: 'k9' } }), null)
    await sleep(600)
    t.equal(await c.findOne({ _id: 'short' }), null, 'a short expiry passes')
    t.equal(await c.count({}), 2)
    await t.resolves(c.insertOne({ _id: 'new', kind: 'k1', expiresAt: now + 60_000 }), 'an expired document does not hold its unique key')
    t.equal(await c.updateOne({ _id: 'live' }, { $set: { expiresAt: Date.now() - 1 } }), 1, 'expiry can be moved')
    t.equal(await c.findOne({ _id: 'live' }), null, '…into the past')
    await t.rejects(c.updateOne({ _id: 'new' }, { $inc: { expiresAt: 1000 } }), Error, 'expiry moves by $set only')
    t.equal(await c.updateOne({ _id: 'new' }, { $unset: { expiresAt: true } }), 1)
    t.strictSame(await c.findOne({ _id: 'new' }), { _id: 'new', kind: 'k1' }, '…or removed')
  })

  t.test('data survives close and reopen', async (t) => {
    const name = uniqueName('persist')
    const first = await open()
    const c1 = await first.collection<Item>(name, { indexes: [{ fields: ['s'], unique: true }] })
    await c1.insertOne({ _id: 'kept', n: 7, s: 'unique' })
    await first.close()
    const second = await (options.reopen ?? open)()
    t.teardown(() => second.close())
    const c2 = await second.collection<Item>(name, { indexes: [{ fields: ['s'], unique: true }] })
    t.strictSame(await c2.findOne({ _id: 'kept' }), { _id: 'kept', n: 7, s: 'unique' })
    await t.rejects(c2.insertOne({ _id: 'other', s: 'unique' }), DuplicateKeyError, 'indexes persist too')
  })
}
