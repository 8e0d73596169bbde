import type { Log } from '@claraverse/logging'
import { decode, type Channel, type EventOf } from './events.js'

export type Handler<C extends Channel> = (event: EventOf<C>, channel: C) => void | Promise<void>

export interface Bus {
  publish<C extends Channel>(channel: C, event: EventOf<C>): Promise<void>
  subscribe<C extends Channel>(channel: C, handler: Handler<C>): Promise<void>
  unsubscribe<C extends Channel>(channel: C, handler: Handler<C>): Promise<void>
  close(): Promise<void>
  readonly kind: 'memory' | 'redis'
}

type AnyHandler = (event: unknown, channel: string) => void | Promise<void>

/**
 * The half of a bus both adapters share: which handlers listen where, and how a received
 * message becomes a validated event. Invalid messages are logged and dropped; a handler that
 * throws is logged and cannot stop delivery to the others.
 */
export class Dispatcher {
  private readonly handlers = new Map<string, Set<AnyHandler>>()

  constructor(private readonly log: Log) {}

  /** Returns true when this is the channel's first handler (the adapter must subscribe). */
  add(channel: string, handler: AnyHandler): boolean {
    let set = this.handlers.get(channel)
    const first = set === undefined
    if (!set) this.handlers.set(channel, (set = new Set()))
    set.add(handler)
    return first
  }

  /** Returns true when the channel has no handlers left (the adapter may unsubscribe). */
  remove(channel: string, handler: AnyHandler): boolean {
    const set = this.handlers.get(channel)
    if (!set) return false
    set.delete(handler)
    if (set.size > 0) return false
    this.handlers.delete(channel)
    return true
  }

  channels(): string[] {
    return [...this.handlers.keys()]
  }

  clear(): void {
    this.handlers.clear()
  }

  deliver(channel: string, text: string): void {
    const set = this.handlers.get(channel)
    if (!set || set.size === 0) return
    const result = decode(channel, text)
    if (!result.ok) {
      this.log.warn({ channel, reason: result.reason }, 'dropped an invalid bus event')
      return
    }
    for (const handler of set) {
      try {
        const p = handler(result.data, channel)
        if (p instanceof Promise) p.catch((err: unknown) => this.log.error({ err, channel }, 'bus handler failed'))
      } catch (err) {
        this.log.error({ err, channel }, 'bus handler failed')
      }
    }
  }
}
