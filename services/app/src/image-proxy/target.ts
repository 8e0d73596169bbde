import { isIP } from 'node:net'
import { isPublicAddress } from './address-policy.js'
import { ImageAddressBlocked, ImageInvalidUrl } from './errors.js'

export const MAX_URL_LENGTH = 4096

/** Port a URL or an undici connection actually uses when none is written. */
export function effectivePort(protocol: string, port: string): number {
  if (port !== '') return Number(port)
  return protocol === 'https:' ? 443 : 80
}

/** The URL parser's hostname without the brackets it keeps around IPv6 literals. */
export function bareHost(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname
}

/**
 * The origins named in IMAGE_PROXY_ALLOW_HOSTS: `host` allows that host on any port,
 * `host:port` only that port. Entries are normalised by the same WHATWG parser as requested
 * URLs, so `127.0.0.1` and `2130706433` name the same host; an entry that does not parse
 * stops the service at boot rather than silently allowing nothing (or too much).
 */
export class AllowList {
  private readonly anyPort = new Set<string>()
  private readonly exact = new Set<string>()

  constructor(entries: readonly string[]) {
    for (const raw of entries) {
      const entry = raw.trim()
      if (entry === '') continue
      // The port is read here, not by URL: URL drops :80, which would turn host:80 into any port.
      // Names are plain LDH labels (write IDNs in punycode); no wildcards.
      const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?$/.exec(entry)
      const host = m?.[1] !== undefined ? hostOf(m[1]) : undefined
      const port = m?.[2] !== undefined ? Number(m[2]) : undefined
      if (host === undefined || (port !== undefined && (port < 1 || port > 65535))) {
        throw new Error(`IMAGE_PROXY_ALLOW_HOSTS: "${entry}" is not a host or host:port (no scheme, path or wildcard; IPv6 as [addr] or [addr]:port)`)
      }
      if (port === undefined) this.anyPort.add(host)
      else this.exact.add(`${host} ${port}`)
    }
  }

  /** `host` without brackets, as undici's connector and `bareHost` give it. */
  permits(host: string, port: number): boolean {
    return this.anyPort.has(host) || this.exact.has(`${host} ${port}`)
  }

  permitsUrl(url: URL): boolean {
    return this.permits(bareHost(url.hostname), effectivePort(url.protocol, url.port))
  }
}

function hostOf(text: string): string | undefined {
  try {
    const url = new URL(`http://${text}/`)
    return url.hostname === '' ? undefined : bareHost(url.hostname)
  } catch {
    return undefined
  }
}

/** Parses the client's `url` parameter; the WHATWG parser normalises decimal, octal and hex IPv4. */
export function parseImageUrl(raw: string): URL {
  if (!URL.canParse(raw)) throw new ImageInvalidUrl('Image URL must be an absolute http or https URL')
  return new URL(raw)
}

// RFC 6761: these names are the local host whatever DNS says; refuse them without asking.
export function isLocalName(host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '')
  return name === 'localhost' || name.endsWith('.localhost')
}

/**
 * The checks that can be made before connecting, applied to the requested URL and to every
 * redirect target. Hostnames are judged later, on the addresses they resolve to at connect
 * time (see connector.ts); IP literals are judged here because Node skips the lookup for them.
 */
export function checkTarget(url: URL, allow: AllowList): void {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ImageInvalidUrl('Image URL must use http or https')
  if (url.username !== '' || url.password !== '') throw new ImageInvalidUrl('Image URL must not contain credentials')
  const host = bareHost(url.hostname)
  if (host === '') throw new ImageInvalidUrl('Image URL must name a host')
  if (allow.permitsUrl(url)) return
  if (isIP(host) !== 0 ? !isPublicAddress(host) : isLocalName(host)) throw new ImageAddressBlocked()
}
