import t from 'tap'
import WebSocket from 'ws'
import { Cluster, type Part } from '../helpers/cluster.js'
import { openChat } from '../e2e/journey.js'
import {
  ALL_OPS, call, checkAllOk, checkFaultAnswers, checkNoDataLoss, describe, FAULT_ENV, isClear5xx, isOk, ORIGIN, register, tally, Traffic, until, within,
  type Op, type Outcome,
} from './traffic.js'

/** Which requests each killed part takes down; the rest must keep working. */
const NEEDS: Record<Exclude<Part, 'gateway'>, { ops: readonly Op[]; codes: readonly string[] }> = {
  app: { ops: ['putChat', 'getChat', 'listChats', 'postAgent', 'getAgent'], codes: ['GW_UPSTREAM_UNAVAILABLE'] },
  auth: { ops: ['me', 'login'], codes: ['GW_UPSTREAM_UNAVAILABLE'] },
  vault: { ops: ['putChat', 'getChat', 'listChats'], codes: ['APP_VAULT_UNAVAILABLE'] },
}

/** A WebSocket handshake through the gateway: what the client saw first. */
function handshake(base: string, token: string): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/ws/chat`, ['claraverse.v1', `bearer.${token}`], { origin: ORIGIN })
    ws.on('unexpected-response', (_req, res) => { resolve(`http ${res.statusCode ?? 0}`); res.resume(); ws.terminate() })
    ws.on('close', (code) => resolve(`closed ${code}`))
    ws.on('error', (err) => resolve(`error ${err.message}`))
    ws.on('message', (d: Buffer) => { resolve(`message ${d.toString()}`); ws.close() })
  })
}

t.test('an upstream killed (SIGKILL) and restarted under traffic: clear 5xx at once, sockets closed, full recovery', async (t) => {
  const cluster = await Cluster.start(t, { env: FAULT_ENV })
  if (!cluster) return
  const base = cluster.gatewayUrl
  const accounts = await Promise.all([1, 2, 3, 4, 5].map((i) => register(base, `up${i}`)))
  const traffic = new Traffic(base, accounts)
  traffic.start(t)
  await traffic.answered(40)

  for (const part of ['app', 'auth', 'vault'] as const) {
    const sock = await openChat(base, accounts[0]!.token)
    const phase = `${part} down`
    traffic.phase = phase
    t.equal(await cluster.stopPart(part, 'SIGKILL'), 'SIGKILL', `${part} is killed`)
    const killedAt = Date.now()
    const probes = await traffic.probe(ALL_OPS)
    const { ops, codes } = NEEDS[part]
    const down = probes.filter((o) => ops.includes(o.op as Op))
    const up = probes.filter((o) => !ops.includes(o.op as Op))
    t.same(down.filter((o) => !(isClear5xx(o) && codes.includes(String((o.body as Record<string, unknown>)['code'])))).map(describe), [],
      `${phase}: what needs it answers ${codes.join('/')} with the JSON error body (${down.map((o) => `${o.op} ${o.status} in ${o.ms} ms`).join(', ')})`)
    t.same(up.filter((o) => !isOk(o)).map(describe), [], `${phase}: what does not need it keeps working (${up.map((o) => o.op).join(', ')})`)
    if (part !== 'vault') t.equal((await call(base, 'GET', '/ready')).status, 503, `the gateway's /ready reports ${part} missing`)
    if (part === 'app') {
      // The chat socket proxied to the dead app is closed, not left hanging.
      const code = await within(sock.closed, 10_000, 'still open')
      t.not(code, 'still open', `the socket through the gateway is closed when the app dies (code ${code})`)
      const fresh = await within(handshake(base, accounts[1]!.token), 10_000, 'no answer')
      t.match(fresh, /^(http 50[234]|closed 10(06|11|12|13|14))$/, `a new socket while the app is down is refused, not hung (${fresh})`)
    } else {
      t.equal(sock.ws.readyState, WebSocket.OPEN, `${phase}: an open chat socket is unaffected`)
      sock.ws.close()
    }
    await traffic.answered(20)

    traffic.phase = `${part} restarted`
    const restartedAt = Date.now()
    await cluster.startPart(part)
    const readyAt = Date.now()
    const recoveredAt = await traffic.recovered(readyAt)
    const during = traffic.in(phase)
    t.comment(`${phase} (${restartedAt - killedAt} ms): ${JSON.stringify(tally(during))}; slowest answer ${Math.max(...during.map((o: Outcome) => o.ms))} ms`)
    t.comment(`${part} restarted (ready in ${readyAt - restartedAt} ms): ${JSON.stringify(tally(traffic.in(`${part} restarted`)))}; all successful ${recoveredAt - readyAt} ms after it was ready`)
    checkFaultAnswers(t, [...during, ...traffic.in(`${part} restarted`)], phase)
    if (part === 'app') {
      const again = await openChat(base, accounts[0]!.token)
      again.ws.send(JSON.stringify({ type: 'chat_message', conversation_id: 'after-restart', content: 'back?' }))
      await until(() => again.got.some((m) => m['type'] === 'stream_end'), 'the answer after the restart', 10_000)
      t.pass('chat over a new socket works after the app restarted')
      again.ws.close()
    }
  }

  traffic.phase = 'after'
  await traffic.answered(60)
  await traffic.stop()
  checkAllOk(t, traffic.only('before'), 'before the faults')
  checkAllOk(t, traffic.only('after'), 'after every part came back')
  await checkNoDataLoss(t, base, traffic.acked)
  t.equal(cluster.proc('gateway').child.exitCode, null, 'the gateway kept running throughout')
})
