import type { FastifyPluginAsync } from 'fastify'
import type { WebSocket } from 'ws'
import type { ChatHub } from './hub.js'
import type { ChatTurn, Provider } from './providers.js'
import { parseFrame, type ClientMessageType, type ServerEvent } from './protocol.js'
import { MessageBucket } from './socket-limit.js'

export const MAX_FRAME_BYTES = 256 * 1024
const MAX_STREAMS_PER_SOCKET = 3
const WARNINGS_BEFORE_CLOSE = 20
/** How long a new socket's greeting waits for its bus subscription (Redis down: it goes ahead). */
const SUBSCRIBE_WAIT_MS = 1000

export interface ChatRouteOptions {
  hub: ChatHub
  provider: Provider
}

const send = (ws: WebSocket, event: ServerEvent): void => {
  if (ws.readyState === 1) ws.send(JSON.stringify(event))
}

/** `/ws/chat` (DESIGN §7), behind the gateway: the identity assertion was checked on the upgrade. */
export const chatSocketRoute: FastifyPluginAsync<ChatRouteOptions> = async (app, { hub, provider }) => {
  app.get('/ws/chat', { websocket: true }, (socket, request) => {
    const userId = request.identity.sub
    const bucket = new MessageBucket()
    let streams = 0
    let warnings = 0
    const controllers = new Set<AbortController>()

    const run = async (msg: Extract<ClientMessageType, { type: 'chat_message' }>): Promise<void> => {
      const turns: ChatTurn[] = [
        ...(msg.system_instructions ? [{ role: 'system' as const, content: msg.system_instructions }] : []),
        ...(msg.history ?? []).map((t) => ({ role: t.role, content: t.content })),
        { role: 'user', content: msg.content },
      ]
      const controller = new AbortController()
      controllers.add(controller)
      streams++
      const conversation_id = msg.conversation_id
      try {
        for await (const content of provider.stream(turns, controller.signal)) {
          await hub.publish(userId, { type: 'stream_chunk', conversation_id, content })
        }
        await hub.publish(userId, { type: 'stream_end', conversation_id })
      } catch (err) {
        if (!controller.signal.aborted) {
          request.log.warn({ err: { message: (err as Error).message }, provider: provider.name }, 'model provider failed')
          await hub.publish(userId, { type: 'error', code: 'PROVIDER_ERROR', message: 'The model provider failed; try again', conversation_id })
        }
      } finally {
        streams--
        controllers.delete(controller)
      }
    }

    // Attached before anything asynchronous, so no early message is lost.
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      if (!bucket.take()) {
        send(socket, { type: 'error', code: 'RATE_LIMITED', message: 'Too many messages, slow down' })
        if (++warnings > WARNINGS_BEFORE_CLOSE) socket.close(1008, 'Too many messages')
        return
      }
      const result = isBinary
        ? { ok: false as const, error: { type: 'error' as const, code: 'INVALID_MESSAGE', message: 'Binary frames are not accepted' } }
        : parseFrame(data.toString('utf8'))
      if (!result.ok) {
        send(socket, result.error)
        return
      }
      const parsed = result.msg
      if (parsed.type === 'ping') {
        send(socket, { type: 'pong' })
        return
      }
      if (streams >= MAX_STREAMS_PER_SOCKET) {
        send(socket, { type: 'error', code: 'TOO_MANY_STREAMS', message: 'Wait for a reply to finish', conversation_id: parsed.conversation_id })
        return
      }
      void run(parsed)
    })
    socket.on('close', () => {
      // The unsubscribe may wait for Redis; the bookkeeping it starts with does not.
      hub.remove(userId, socket).catch(() => undefined)
      // Nobody of this user is listening here or anywhere we know of: stop spending on the model.
      if (!hub.hasSockets(userId)) for (const c of controllers) c.abort()
    })
    socket.on('error', () => socket.terminate())
    // Greeted once other replicas' events can arrive too, or after SUBSCRIBE_WAIT_MS when the bus
    // is down: the socket works locally at once, and the subscription completes when Redis is back.
    let timer: NodeJS.Timeout | undefined
    const subscribed = hub.add(userId, socket).catch((err: unknown) => {
      request.log.warn({ err: { message: (err as Error).message } }, 'chat events of other replicas unavailable')
    })
    void Promise.race([subscribed, new Promise((r) => { timer = setTimeout(r, SUBSCRIBE_WAIT_MS) })]).then(() => {
      clearTimeout(timer)
      send(socket, { type: 'connected' })
    })
  })
}
