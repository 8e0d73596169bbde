import t from 'tap'
import http from 'node:http'
import net from 'node:net'
import { randomBytes } from 'node:crypto'
import { Cluster } from '../helpers/cluster.js'
import { openChat } from '../e2e/journey.js'
import {
  ackPath, checkAllOk, checkNoDataLoss, describe, FAULT_ENV, isClear5xx, isOk, ORIGIN, register, tally, Traffic, until, within,
  type Account, type Ack, type ChatContent,
} from './traffic.js'

interface HalfSent {
  /** Sends the rest of the body; resolves with the answer. */
  finish: () => Promise<{ status: number; body: Record<string, unknown> }>
}

/**
 * A request whose headers and first half of the body are sent on a connection of its own, the
 * rest held back until `finish`: it is in flight at the gateway for as long as the test wants.
 */
function halfSent(base: string, method: string, path: string, body: unknown, headers: Record<string, string>): HalfSent {
  const bytes = Buffer.from(JSON.stringify(body))
  const url = new URL(path, base)
  const req = http.request(url, {
    method, agent: false,
    headers: { ...headers, origin: ORIGIN, 'content-type': 'application/json', 'content-length': String(bytes.length) },
  })
  const answer = new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
    req.on('response', (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString()
        try { resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }) } catch { resolve({ status: res.statusCode ?? 0, body: { text } }) }
      })
    })
    req.on('error', reject)
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')))
  })
  answer.catch(() => undefined) // observed through finish()
  const half = Math.floor(bytes.length / 2)
  req.write(bytes.subarray(0, half))
  return {
    finish: () => {
      req.end(bytes.subarray(half))
      return answer
    },
  }
}

/** Whether a new TCP connection to the port is refused. */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port })
    s.once('connect', () => { s.destroy(); resolve(false) })
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'))
  })
}

t.test('SIGTERM to the gateway under load: in-flight requests finish, new connections are refused, exit 0, nothing lost', async (t) => {
  // The gateway logs each request it receives (info), so the test knows when its requests are in flight.
  const cluster = await Cluster.start(t, { env: FAULT_ENV, partEnv: { gateway: { LOG_LEVEL: 'info' } } })
  if (!cluster) return
  const base = cluster.gatewayUrl
  const accounts = await Promise.all([1, 2, 3, 4, 5, 6].map((i) => register(base, `term${i}`)))
  const traffic = new Traffic(base, accounts.slice(0, 4), { chatBytes: 16 * 1024 })
  traffic.start(t)
  await traffic.answered(40)
  const sock = await openChat(base, accounts[5]!.token)

  // Slow requests in flight: big chat writes and logins (Argon2), their bodies half sent.
  const writer: Account = accounts[4]!
  const chats = [1, 2, 3].map((i): Ack & { kind: 'chat' } => ({
    kind: 'chat', id: `inflight-${i}`, owner: writer, phase: 'in flight at SIGTERM',
    content: { title: `in flight ${i}`, messages: [{ role: 'user', content: randomBytes(150_000).toString('base64') }] } satisfies ChatContent,
  }))
  const inflight = [
    ...chats.map((a) => halfSent(base, 'PUT', ackPath(a), a.content, { authorization: `Bearer ${writer.token}`, 'x-request-id': `sigterm-${a.id}` })),
    ...[1, 2].map((i) => halfSent(base, 'POST', '/api/auth/login', { email: writer.email, password: writer.password }, { 'x-request-id': `sigterm-login-${i}` })),
  ]
  const ids = [...chats.map((a) => `sigterm-${a.id}`), 'sigterm-login-1', 'sigterm-login-2']
  const gateway = cluster.proc('gateway')
  await until(() => ids.every((id) => gateway.stdout().includes(`"request_id":"${id}"`)), 'the gateway to receive the slow requests')

  traffic.phase = 'draining'
  const signalledAt = Date.now()
  const exited = cluster.stopPart('gateway', 'SIGTERM')
  await until(() => refused(cluster.ports.gateway), 'new connections to be refused', 10_000)
  t.equal(gateway.child.exitCode, null, 'new connections are refused while the gateway still drains its in-flight requests')
  t.equal(await within(sock.closed, 10_000, 'still open'), 1001, 'open WebSockets are closed with 1001 (going away)')

  const answers = await Promise.all(inflight.map((r) => r.finish().catch((err: Error) => ({ status: 0, body: { error: err.message } }))))
  answers.forEach((a, i) => t.equal(a.status, 200, `in-flight ${ids[i]} completes with 200 after SIGTERM (${JSON.stringify(a.body).slice(0, 120)})`))
  chats.forEach((a, i) => t.match(answers[i]!.body, { id: a.id, title: a.content.title, message_count: 1 }, `${a.id} acknowledged as written`))
  t.equal(await within(exited, 15_000, 'still running'), 0, 'the gateway exits with code 0 once they are done')
  const exitedAt = Date.now()
  traffic.phase = 'down'
  t.ok(await refused(cluster.ports.gateway), 'a stopped gateway refuses connections')
  await traffic.answered(20)

  traffic.phase = 'restarted'
  await cluster.startPart('gateway')
  const readyAt = Date.now()
  const recoveredAt = await traffic.recovered(readyAt)
  traffic.phase = 'after'
  await traffic.answered(40)
  await traffic.stop()

  t.comment(`before: ${JSON.stringify(tally(traffic.in('before')))}`)
  t.comment(`draining (${exitedAt - signalledAt} ms from SIGTERM to exit): ${JSON.stringify(tally(traffic.in('draining')))}`)
  t.comment(`down: ${JSON.stringify(tally(traffic.only('down')))}`)
  t.comment(`restarted: ${JSON.stringify(tally(traffic.in('restarted')))}; all successful ${recoveredAt - readyAt} ms after the new gateway was ready`)
  checkAllOk(t, traffic.only('before'), 'before SIGTERM')
  // While draining and down, a client sees a success, a clear 503, or a refused connection —
  // or, for a request racing the close of an idle keep-alive connection, that connection closing.
  const around = traffic.in('draining', 'down', 'restarted')
  const network = new Set(['ECONNREFUSED', 'ECONNRESET', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED'])
  t.same(around.filter((o) => !isOk(o) && o.status !== 503 && !(o.status === 0 && network.has(o.error ?? ''))).map(describe).slice(0, 8), [],
    `around the restart every answer is a success, a 503 or a refused/closed connection (${around.length} requests)`)
  // A request on a kept-alive connection while the gateway drains is refused with the error body.
  const drained = around.filter((o) => o.status === 503)
  t.same(drained.filter((o) => !isClear5xx(o)).map(describe).slice(0, 4), [], `the ${drained.length} 503s while draining carry the JSON error body`)
  t.notOk(around.some((o) => o.error === 'timeout'), 'no request hung')
  t.ok(traffic.only('down').every((o) => o.error === 'ECONNREFUSED'), 'while no gateway runs, connections are refused at once')
  checkAllOk(t, traffic.only('after'), 'after the restart')
  await checkNoDataLoss(t, base, [...traffic.acked, ...chats])
})
