import closeWithGrace from 'close-with-grace'
import type { FastifyInstance } from 'fastify'
import './service.js' // the `metrics` decorator's type

export interface ListenOptions {
  host: string
  port: number
  /** When set, Prometheus metrics are served on this port (`/metrics`), apart from the service. */
  metricsPort?: number | undefined
  /** How long in-flight requests get to finish after SIGTERM/SIGINT. */
  graceMs?: number
}

/** Listens and arranges a graceful shutdown: in-flight requests finish, then the process exits. */
export async function runServer(app: FastifyInstance, opts: ListenOptions): Promise<string> {
  const address = await app.listen({ host: opts.host, port: opts.port })
  const metrics = opts.metricsPort !== undefined ? await app.metrics.serve(opts.metricsPort, opts.host) : undefined
  if (metrics) app.log.info({ url: `${metrics.url}/metrics` }, 'metrics listening')
  closeWithGrace({ delay: opts.graceMs ?? 10_000 }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an error')
    else app.log.info({ signal }, 'shutting down')
    await app.close()
    metrics?.server.close()
  })
  return address
}
