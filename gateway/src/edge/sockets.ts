import type { Socket } from 'node:net'
import type { WebSocket } from 'ws'
import type { RevokedEvent } from '@claraverse/bus'

export const CLOSE_REVOKED = 4401

export interface Owner {
  sub: string
  sid: string
  /** When the token that opened the socket was issued: later revocations only close older ones. */
  iat: number
}

/**
 * Proxied WebSockets by user and session, so a revocation closes them at once (code 4401).
 * The upgrade request is authenticated before the socket exists; the raw TCP socket links
 * the two (the proxy's client WebSocket keeps it as `_socket`).
 */
export class SocketRegistry {
  private readonly pending = new WeakMap<Socket, Owner>()
  private readonly open = new Map<WebSocket, Owner>()

  /**
   * @param isRevoked consulted when a socket is attached: the proxy attaches only once the
   * upstream side is open, and a revocation may have arrived in between.
   */
  constructor(private readonly isRevoked: (owner: Owner) => boolean = () => false) {}

  expect(socket: Socket, owner: Owner): void {
    this.pending.set(socket, owner)
  }

  attach(ws: WebSocket): void {
    const socket = (ws as unknown as { _socket?: Socket })._socket
    const owner = socket ? this.pending.get(socket) : undefined
    if (!owner) return
    if (this.isRevoked(owner)) {
      ws.close(CLOSE_REVOKED, 'Session revoked')
      return
    }
    this.open.set(ws, owner)
  }

  detach(ws: WebSocket): void {
    this.open.delete(ws)
  }

  /** Closes every socket the revocation covers; returns how many. */
  revoke(event: RevokedEvent): number {
    let closed = 0
    for (const [ws, owner] of this.open) {
      const hit = event.sid !== undefined ? owner.sid === event.sid : owner.sub === event.user_id
      if (!hit || owner.iat >= event.not_before) continue
      ws.close(CLOSE_REVOKED, 'Session revoked')
      this.open.delete(ws)
      closed++
    }
    return closed
  }

  /** On shutdown: 1001 tells clients to reconnect (to another replica). */
  closeAll(code = 1001, reason = 'Gateway shutting down'): void {
    for (const ws of this.open.keys()) ws.close(code, reason)
    this.open.clear()
  }

  get size(): number {
    return this.open.size
  }
}
