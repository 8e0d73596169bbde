import { isIPv4, isIPv6 } from 'node:net'

/**
 * Which IP addresses the image proxy may connect to. Only globally reachable unicast addresses
 * pass; everything else (loopback, private, link-local and cloud metadata, CGNAT, multicast,
 * broadcast, documentation and reserved ranges, and IPv6 forms that embed such an IPv4 address)
 * is refused. Unparseable input is refused too: the policy fails closed.
 */
export function isPublicAddress(address: string): boolean {
  // A zone id (fe80::1%eth0) only exists for scoped, non-global addresses.
  if (address.includes('%')) return false
  if (isIPv4(address)) {
    const v4 = parseIPv4(address)
    return v4 !== undefined && isPublicV4(v4)
  }
  if (isIPv6(address)) {
    const v6 = parseIPv6(address)
    return v6 !== undefined && isPublicV6(v6)
  }
  return false
}

interface Cidr { base: bigint; bits: number }

function cidr(text: string, width: 32 | 128): Cidr {
  const [ip = '', len = ''] = text.split('/')
  const base = width === 32 ? parseIPv4(ip) : parseIPv6(ip)
  if (base === undefined) throw new Error(`bad CIDR ${text}`)
  return { base, bits: Number(len) }
}

function inCidr(value: bigint, range: Cidr, width: 32 | 128): boolean {
  const shift = BigInt(width - range.bits)
  return value >> shift === range.base >> shift
}

// The IANA IPv4 special-purpose registry, minus the few entries that are globally reachable
// anycast services no image is served from anyway.
const V4_BLOCKED = [
  '0.0.0.0/8', // "this network"; 0.0.0.0 reaches the local host on Linux
  '10.0.0.0/8',
  '100.64.0.0/10', // carrier-grade NAT, often the provider's internal network
  '127.0.0.0/8',
  '169.254.0.0/16', // link-local, includes the cloud metadata endpoint 169.254.169.254
  '172.16.0.0/12',
  '192.0.0.0/24', // IETF protocol assignments
  '192.0.2.0/24', // TEST-NET-1
  '192.88.99.0/24', // deprecated 6to4 relay anycast
  '192.168.0.0/16',
  '198.18.0.0/15', // benchmarking
  '198.51.100.0/24', // TEST-NET-2
  '203.0.113.0/24', // TEST-NET-3
  '224.0.0.0/4', // multicast
  '240.0.0.0/4', // reserved, includes the broadcast address 255.255.255.255
].map((c) => cidr(c, 32))

function isPublicV4(v4: bigint): boolean {
  return !V4_BLOCKED.some((range) => inCidr(v4, range, 32))
}

// IPv6 ranges whose low bits carry an IPv4 address the packet ends up at: judge that address.
const V6_EMBEDDING: Array<{ range: Cidr; v4: (v6: bigint) => bigint }> = [
  { range: cidr('::ffff:0:0/96', 128), v4: (v6) => v6 & 0xffffffffn }, // IPv4-mapped
  { range: cidr('64:ff9b::/96', 128), v4: (v6) => v6 & 0xffffffffn }, // NAT64 well-known prefix
  { range: cidr('2002::/16', 128), v4: (v6) => (v6 >> 80n) & 0xffffffffn }, // 6to4
]

// Everything outside 2000::/3 is not global unicast (::, ::1, IPv4-compatible ::a.b.c.d,
// 64:ff9b:1::/48, 100::/64, fc00::/7, fe80::/10, fec0::/10, ff00::/8...), so that is an
// allowlist; inside it, these special blocks are refused.
const V6_GLOBAL = cidr('2000::/3', 128)
const V6_BLOCKED = [
  '2001::/23', // IETF protocol assignments: Teredo (2001::/32, tunnels to an embedded IPv4), benchmarking, ORCHID
  '2001:db8::/32', // documentation
  '3fff::/20', // documentation
].map((c) => cidr(c, 128))

function isPublicV6(v6: bigint): boolean {
  for (const { range, v4 } of V6_EMBEDDING) {
    if (inCidr(v6, range, 128)) return isPublicV4(v4(v6))
  }
  return inCidr(v6, V6_GLOBAL, 128) && !V6_BLOCKED.some((range) => inCidr(v6, range, 128))
}

/** Strict dotted-quad only: other spellings never reach here (WHATWG URL and DNS normalise them). */
function parseIPv4(text: string): bigint | undefined {
  const parts = text.split('.')
  if (parts.length !== 4) return undefined
  let value = 0n
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return undefined
    value = (value << 8n) | BigInt(part)
  }
  return value
}

function parseIPv6(text: string): bigint | undefined {
  let s = text
  const lastColon = s.lastIndexOf(':')
  const tail = s.slice(lastColon + 1)
  if (tail.includes('.')) {
    // A trailing dotted quad (::ffff:127.0.0.1) stands for the last two groups.
    const v4 = parseIPv4(tail)
    if (v4 === undefined) return undefined
    s = `${s.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`
  }
  const halves = s.split('::')
  if (halves.length > 2) return undefined
  const head = halves[0] ? halves[0].split(':') : []
  let groups = head
  if (halves.length === 2) {
    const rest = halves[1] ? halves[1].split(':') : []
    const fill = 8 - head.length - rest.length
    if (fill < 1) return undefined
    groups = [...head, ...Array<string>(fill).fill('0'), ...rest]
  }
  if (groups.length !== 8) return undefined
  let value = 0n
  for (const group of groups) {
    if (!/^[0-9a-f]{1,4}$/i.test(group)) return undefined
    value = (value << 16n) | BigInt(parseInt(group, 16))
  }
  return value
}
