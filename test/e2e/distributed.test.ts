import t from 'tap'
import { Cluster } from '../helpers/cluster.js'
import { userJourney } from './journey.js'

t.test('distributed: four processes, Redis and a MongoDB-protocol server, the whole journey through the gateway', async (t) => {
  const cluster = await Cluster.start(t)
  if (!cluster) return
  await userJourney(t, cluster.gatewayUrl)
  // Every part is still the process that started: nothing crashed along the way.
  for (const part of ['gateway', 'auth', 'vault', 'app'] as const) t.equal(cluster.proc(part).child.exitCode, null, `${part} still running`)
  t.notMatch(cluster.proc('auth').stdout(), /correct horse battery|bobs own passphrase/, 'no password reaches the logs')
})
