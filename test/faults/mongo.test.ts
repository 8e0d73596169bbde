import t from 'tap'
import { Cluster } from '../helpers/cluster.js'
import { call, checkAllOk, checkFaultAnswers, checkNoDataLoss, describe, FAULT_ENV, isClear5xx, register, tally, Traffic, type Op } from './traffic.js'

const WRITES: readonly Op[] = ['putChat', 'postAgent']

t.test('the MongoDB-protocol server stopped and restarted under traffic: clear 503s, no acknowledged write lost', async (t) => {
  const cluster = await Cluster.start(t, { env: FAULT_ENV })
  if (!cluster) return
  const base = cluster.gatewayUrl
  const accounts = await Promise.all([1, 2, 3, 4, 5, 6].map((i) => register(base, `mongo${i}`)))
  const traffic = new Traffic(base, accounts)
  traffic.start(t)
  await traffic.answered(40)

  traffic.phase = 'fault'
  const faultAt = Date.now()
  await cluster.mongo.stop()
  const stoppedAt = Date.now()
  // Every kind of request meets the outage (each waits for the driver's server selection, then fails).
  const probes = await traffic.probe()
  t.same(probes.filter((o) => !(isClear5xx(o) && (o.body as Record<string, unknown>)['code'] === 'STORE_UNAVAILABLE')).map(describe), [],
    'every kind of request (writes, reads, account, login) is refused with 503 STORE_UNAVAILABLE while MongoDB is down')
  const health = await call(base, 'GET', '/health')
  t.equal(health.status, 200, 'the gateway stays alive')
  const ready = await call(`${cluster.url('app')}`, 'GET', '/ready')
  t.equal(ready.status, 503, 'the app reports itself not ready while its store is down')

  const { repairedAt, recoveredAt } = await traffic.repair(() => cluster.mongo.start())

  const fault = traffic.in('fault')
  const outage = fault.filter((o) => o.at >= stoppedAt && o.end < repairedAt)
  t.comment(`MongoDB took ${stoppedAt - faultAt} ms to stop (SIGTERM); answers while it was down: ${JSON.stringify(tally(outage))}`)
  t.comment(`before: ${JSON.stringify(tally(traffic.in('before')))}`)
  t.comment(`fault (MongoDB down ${repairedAt - stoppedAt} ms): ${JSON.stringify(tally(fault))}; slowest answer ${Math.max(...fault.map((o) => o.ms))} ms`)
  t.comment(`recovery: ${JSON.stringify(tally(traffic.in('recovery')))}; all successful ${recoveredAt - repairedAt} ms after the restart`)
  t.comment(`after: ${JSON.stringify(tally(traffic.in('after')))}`)
  checkAllOk(t, traffic.only('before'), 'before the fault')
  checkFaultAnswers(t, [...fault, ...traffic.in('recovery')], 'while MongoDB is down')
  // Every write that met the outage was refused with the store's code, so none was acknowledged.
  const writes = outage.filter((o) => WRITES.includes(o.op as Op))
  t.same(writes.filter((o) => !(isClear5xx(o) && (o.body as Record<string, unknown>)['code'] === 'STORE_UNAVAILABLE')).map((o) => `${o.op} ${o.status}`), [],
    `all ${writes.length} writes during the outage are refused with 503 STORE_UNAVAILABLE`)
  checkAllOk(t, traffic.only('after'), 'after recovery')
  await checkNoDataLoss(t, base, traffic.acked)
  for (const part of ['gateway', 'auth', 'vault', 'app'] as const) t.equal(cluster.proc(part).child.exitCode, null, `${part} kept running through the outage`)
})
