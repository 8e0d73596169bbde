import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import type { TierLimiter } from './ratelimit/limiter.js'
import type { SocketRegistry } from './edge/sockets.js'
import type { RevocationCache } from './edge/revocations.js'

export interface GatewayMetrics {
  upstreamDuration: Histogram<'upstream' | 'status'>
}

/** The gateway's own figures, read from the parts that keep them when Prometheus scrapes. */
export function registerGatewayMetrics(registry: Registry, parts: { limiter: TierLimiter; sockets: SocketRegistry; revocations: RevocationCache }): GatewayMetrics {
  const { limiter, sockets, revocations } = parts
  new Gauge({ name: 'gateway_websockets_open', help: 'Proxied WebSockets open', registers: [registry], collect() { this.set(sockets.size) } })
  new Gauge({ name: 'gateway_revocations_known', help: 'Revoked users and sessions remembered', registers: [registry], collect() { this.set(revocations.size) } })
  new Counter({
    name: 'gateway_rate_limit_fallbacks_total', help: 'Rate-limit checks answered from local memory because Redis failed (fail mode open)', registers: [registry],
    collect() { this.reset(); this.inc(limiter.stats.fallbacks) },
  })
  new Counter({
    name: 'gateway_rate_limit_unavailable_total', help: 'Requests refused with 503 because Redis failed (fail mode closed)', registers: [registry],
    collect() { this.reset(); this.inc(limiter.stats.unavailable) },
  })
  new Counter({
    name: 'gateway_rate_limited_total', help: 'Requests refused with 429, by tier', labelNames: ['tier'], registers: [registry],
    collect() {
      this.reset()
      for (const [tier, n] of Object.entries(limiter.stats.limited)) this.inc({ tier }, n)
    },
  })
  const upstreamDuration = new Histogram({
    name: 'gateway_upstream_duration_seconds', help: 'Time from forwarding a request to the upstream\'s response headers, or its failure',
    labelNames: ['upstream', 'status'], buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 30], registers: [registry],
  })
  return { upstreamDuration }
}
