import closeWithGrace from 'close-with-grace'
import type { FastifyInstance } from 'fastify'

export interface ListenOptions {
  host: string
  port: number
  /** How long in-flight requests get to finish after SIGTERM/SIGINT. */
  graceMs?: number
}

/** Listens and arranges a graceful shutdown: in-flight requests finish, then the process exits. */
export async function runServer(app: FastifyInstance, opts: ListenOptions): Promise<string> {
  const address = await app.listen({ host: opts.host, port: opts.port })
  closeWithGrace({ delay: opts.graceMs ?? 10_000 }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an error')
    else app.log.info({ signal }, 'shutting down')
    await app.close()
  })
  return address
}
