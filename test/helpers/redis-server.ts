import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import net from 'node:net'
import { reachable } from './servers.js'

export async function freePort(): Promise<number> {
  const srv = net.createServer()
  srv.listen(0, '127.0.0.1')
  await once(srv, 'listening')
  const port = (srv.address() as net.AddressInfo).port
  srv.close()
  await once(srv, 'close')
  return port
}

/** A Redis server owned by one test, so the test may stop and restart it. */
export class OwnedRedis {
  private proc: ChildProcess | undefined
  constructor(readonly port: number) {}

  static async start(): Promise<OwnedRedis> {
    const r = new OwnedRedis(await freePort())
    await r.start()
    return r
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`
  }

  async start(): Promise<void> {
    this.proc = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
    for (let i = 0; i < 100; i++) {
      if (await reachable(this.url, 6379, 200)) return
      await new Promise((r) => setTimeout(r, 50))
    }
    throw new Error(`redis-server on port ${this.port} did not start`)
  }

  async stop(): Promise<void> {
    const p = this.proc
    if (!p || p.exitCode !== null) return
    p.kill('SIGKILL')
    await once(p, 'exit')
  }
}
