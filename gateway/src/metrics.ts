import { Counter, Gauge, type Registry } from 'prom-client'
import type { TierLimiter } from './ratelimit/limiter.js'
import type { SocketRegistry } from './edge/sockets.js'
import type { RevocationCache } from './edge/revocations.js'

/** The gateway's own figures, read from the parts that keep them when Prometheus scrapes. */
export function registerGatewayMetrics(registry: Registry, parts: { limiter: TierLimiter; sockets: SocketRegistry; revocations: RevocationCache }): void {
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
}
