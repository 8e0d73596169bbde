import type { WebSocket } from 'ws'
import { chatChannel, type Bus, type ChatStreamEvent } from '@claraverse/bus'
import type { Log } from '@claraverse/logging'
import type { ServerEvent } from './protocol.js'

/**
 * The sockets of each user on this replica. A conversation's events go to the user's sockets
 * here at once and, through the bus, to their sockets on every other replica; each replica
 * ignores the copies of its own events that come back.
 */
export class ChatHub {
  private readonly sockets = new Map<string, Set<WebSocket>>()
  private readonly handlers = new Map<string, (e: ChatStreamEvent) => void>()

  constructor(private readonly bus: Bus, private readonly replicaId: string, private readonly log: Log) {}

  /**
   * The socket hears this replica's events at once; the promise settles when the user's channel
   * is subscribed, which waits for Redis while it is down (local delivery does not).
   */
  async add(userId: string, ws: WebSocket): Promise<void> {
    const set = this.sockets.get(userId)
    if (set) {
      set.add(ws)
      return
    }
    this.sockets.set(userId, new Set([ws]))
    const handler = (e: ChatStreamEvent): void => {
      if (e.origin === this.replicaId) return
      const { origin: _origin, ...event } = e
      this.deliver(userId, event as unknown as ServerEvent)
    }
    this.handlers.set(userId, handler)
    await this.bus.subscribe(chatChannel(userId), handler)
  }

  async remove(userId: string, ws: WebSocket): Promise<void> {
    const set = this.sockets.get(userId)
    if (!set) return
    set.delete(ws)
    if (set.size > 0) return
    this.sockets.delete(userId)
    const handler = this.handlers.get(userId)
    this.handlers.delete(userId)
    if (handler) await this.bus.unsubscribe(chatChannel(userId), handler).catch(() => undefined)
  }

  /** To this user's sockets everywhere. */
  async publish(userId: string, event: ServerEvent & { conversation_id?: string }): Promise<void> {
    this.deliver(userId, event)
    try {
      await this.bus.publish(chatChannel(userId), { ...event, origin: this.replicaId })
    } catch (err) {
      this.log.warn({ err: { message: (err as Error).message } }, 'chat event not fanned out to other replicas')
    }
  }

  deliver(userId: string, event: ServerEvent): void {
    const text = JSON.stringify(event)
    for (const ws of this.sockets.get(userId) ?? []) if (ws.readyState === 1) ws.send(text)
  }

  hasSockets(userId: string): boolean {
    return (this.sockets.get(userId)?.size ?? 0) > 0
  }

  get size(): number {
    let n = 0
    for (const set of this.sockets.values()) n += set.size
    return n
  }
}
