import ipaddr from 'ipaddr.js'

/**
 * The rate-limit subject for a client address. One IPv6 user usually holds a whole /64, so
 * counting per /128 would give every client billions of keys: IPv6 is counted per /64, and an
 * IPv4-mapped address as the IPv4 address it is.
 */
export function ipSubject(ip: string | undefined): string {
  // Fastify's request.ip is undefined once the client's socket is gone, e.g. when the bytes after
  // a request broke the HTTP framing and Node closed the connection before its hooks ran.
  if (ip === undefined) return 'unknown'
  if (!ip.includes(':')) return ip // IPv4: the common case, no parsing on the hot path
  if (!ipaddr.isValid(ip)) return ip
  const addr = ipaddr.process(ip)
  if (addr.kind() === 'ipv4') return addr.toString()
  return `${(addr as ipaddr.IPv6).toNormalizedString().split(':').slice(0, 4).join(':')}::/64`
}
