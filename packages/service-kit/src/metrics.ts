import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { FastifyInstance } from 'fastify'

/**
 * Prometheus metrics of one service: process figures plus requests by route and status.
 * They are served on a port of their own (METRICS_PORT), never on the service's public port,
 * so only the cluster's scraper can read them.
 */
export class ServiceMetrics {
  readonly registry = new Registry()
  readonly requests: Counter<'method' | 'route' | 'status'>
  readonly duration: Histogram<'method' | 'route' | 'status'>

  constructor(service: string) {
    this.registry.setDefaultLabels({ service })
    collectDefaultMetrics({ register: this.registry })
    this.requests = new Counter({ name: 'http_requests_total', help: 'HTTP requests answered', labelNames: ['method', 'route', 'status'], registers: [this.registry] })
    this.duration = new Histogram({
      name: 'http_request_duration_seconds', help: 'Time to answer an HTTP request', labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10], registers: [this.registry],
    })
  }

  /** Counts every answered request; the route is the pattern (`/api/chats/:id`), never the raw URL. */
  instrument(app: FastifyInstance): void {
    app.addHook('onResponse', async (request, reply) => {
      const labels = { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) }
      this.requests.inc(labels)
      this.duration.observe(labels, reply.elapsedTime / 1000)
    })
  }

  /** Serves `/metrics` on its own port; resolves with the address. */
  async serve(port: number, host: string): Promise<{ server: Server; url: string }> {
    const server = createServer((req, res) => {
      if (req.method !== 'GET' || req.url !== '/metrics') {
        res.writeHead(404).end()
        return
      }
      this.registry.metrics().then((text) => {
        res.writeHead(200, { 'content-type': this.registry.contentType }).end(text)
      }, () => res.writeHead(500).end())
    })
    await new Promise<void>((resolve) => server.listen(port, host, resolve))
    const addr = server.address() as AddressInfo
    return { server, url: `http://${host.includes(':') ? `[${host}]` : host}:${addr.port}` }
  }
}
