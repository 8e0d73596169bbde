/** The part of a heartbeat event the watchdog reads (`connectionId` is the server's address). */
export interface HeartbeatEvent {
  connectionId: string
  awaited?: boolean
}

/** What the watchdog needs of a MongoClient: its heartbeat events. */
export interface HeartbeatSource {
  on(event: string, listener: (e: HeartbeatEvent) => void): unknown
  off(event: string, listener: (e: HeartbeatEvent) => void): unknown
}

/**
 * The driver checks each server with a `hello` on a monitoring connection. When the server
 * closes that connection just as a check starts (seen when FerretDB restarts), mongodb 7.x can
 * wait for a socket `drain` that never comes: the check never ends, the server stays Unknown,
 * and every operation fails server selection until the process restarts. A polling check is
 * bounded by the driver's own timeouts (connect, then handshake), so one still running after
 * `stuckMs` is wedged: `recover` is called (the store reconnects the client). Awaited (streaming)
 * checks wait for the server by design and are not watched.
 *
 * Returns a function that stops watching.
 */
export function watchHeartbeats(client: HeartbeatSource, stuckMs: number, recover: () => Promise<void>): () => void {
  const running = new Map<string, number>()
  const started = (e: HeartbeatEvent): void => {
    if (e.awaited !== true && !running.has(e.connectionId)) running.set(e.connectionId, Date.now())
  }
  const ended = (e: HeartbeatEvent): void => { running.delete(e.connectionId) }
  client.on('serverHeartbeatStarted', started)
  client.on('serverHeartbeatSucceeded', ended)
  client.on('serverHeartbeatFailed', ended)
  let recovering = false
  const timer = setInterval(() => {
    if (recovering) return
    const now = Date.now()
    if (![...running.values()].some((since) => now - since >= stuckMs)) return
    recovering = true
    running.clear()
    recover().catch(() => undefined).finally(() => { recovering = false })
  }, Math.max(50, Math.floor(stuckMs / 4)))
  timer.unref()
  return () => {
    clearInterval(timer)
    client.off('serverHeartbeatStarted', started)
    client.off('serverHeartbeatSucceeded', ended)
    client.off('serverHeartbeatFailed', ended)
  }
}
