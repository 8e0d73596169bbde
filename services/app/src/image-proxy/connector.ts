import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import { isIP, type LookupFunction } from 'node:net'
import { Agent, buildConnector } from 'undici'
import { isPublicAddress } from './address-policy.js'
import { ImageAddressBlocked } from './errors.js'
import { effectivePort, isLocalName, type AllowList } from './target.js'

/**
 * Wraps a DNS lookup so that a name is refused if any address it resolves to is not public.
 * Node connects to exactly the addresses this returns, so there is no second resolution a
 * rebinding DNS server could answer differently. A mixed answer (public and private) is
 * refused outright rather than filtered: it is a sign of an attack, not a real image host.
 */
export function guardedLookup(base?: LookupFunction): LookupFunction {
  const resolve: LookupFunction = base ?? (dnsLookup as unknown as LookupFunction)
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (err, answer, family) => {
      if (err) {
        callback(err, '')
        return
      }
      const list: LookupAddress[] = typeof answer === 'string' ? [{ address: answer, family: family ?? isIP(answer) }] : answer
      const first = list[0]
      if (first === undefined) {
        callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '')
        return
      }
      if (!list.every((a) => isPublicAddress(a.address))) {
        callback(new ImageAddressBlocked() as NodeJS.ErrnoException, '')
        return
      }
      if (options.all === true) callback(null, list)
      else callback(null, first.address, first.family)
    })
  }
}

export interface AgentOptions {
  allow: AllowList
  lookup?: LookupFunction | undefined
  timeoutMs: number
}

/**
 * The only way the proxy reaches the network. Every new connection is decided here, where the
 * origin and port are known: allowlisted origins connect as usual; any other origin connects
 * only to public addresses. IP literals and `localhost` names are refused up front (Node does
 * not look literals up), other names through the guarded lookup, and the peer address is checked
 * again once connected in case anything ever bypassed the lookup.
 */
export function createImageAgent(opts: AgentOptions): Agent {
  const timeout = opts.timeoutMs
  const trusted = buildConnector(opts.lookup ? { timeout, lookup: opts.lookup } : { timeout })
  const guarded = buildConnector({ timeout, lookup: guardedLookup(opts.lookup) })

  const connect: buildConnector.connector = (options, callback) => {
    if (opts.allow.permits(options.hostname, effectivePort(options.protocol, options.port))) {
      trusted(options, callback)
      return
    }
    const literal = isIP(options.hostname) !== 0
    if (literal ? !isPublicAddress(options.hostname) : isLocalName(options.hostname)) {
      // Called back asynchronously, as a real connection failure would be.
      queueMicrotask(() => { callback(new ImageAddressBlocked(), null) })
      return
    }
    guarded(options, (err, socket) => {
      if (err) {
        callback(err, null)
        return
      }
      const peer = socket.remoteAddress
      if (peer === undefined || !isPublicAddress(peer)) {
        socket.destroy()
        callback(new ImageAddressBlocked(), null)
        return
      }
      callback(null, socket)
    })
  }

  return new Agent({
    connect,
    headersTimeout: opts.timeoutMs,
    bodyTimeout: opts.timeoutMs,
    keepAliveTimeout: 4_000,
  })
}
