import type { AppConfig } from '@claraverse/config'
import { createLogger, type Logger } from '@claraverse/logging'
import { requireIdentity, verifierFromTrust, type AssertionVerifier } from '@claraverse/identity'
import { createService, type Service } from '@claraverse/service-kit'
import { openStore, type Store } from '@claraverse/store'
import { openBus, type Bus, type UserDeletedEvent } from '@claraverse/bus'
import { Owned, type OwnedDoc } from './domain/owned.js'
import { VaultClient } from './clients/vault.js'
import { AuthClient } from './clients/auth.js'
import { crudRoutes } from './routes/crud.js'
import { chatRoutes, type ChatDoc } from './routes/chats.js'
import { integrationRoutes, type IntegrationDoc } from './routes/integrations.js'
import { publicRoutes } from './routes/public.js'
import { analyticsRoutes } from './routes/analytics.js'
import { imageProxyRoutes } from './image-proxy/index.js'
import { AgentFields, WorkflowFields } from './schemas/records.js'
import websocket from '@fastify/websocket'
import { Gauge } from 'prom-client'
import { randomUUID } from 'node:crypto'
import { ChatHub, chatSocketRoute, echoProvider, openAiProvider, MAX_FRAME_BYTES, WS_SUBPROTOCOL_APP } from './chat/index.js'

export interface AppDeps {
  logger?: Logger
  verifier?: AssertionVerifier
  /** Given resources are shared and left open on close; missing ones are made from config. */
  store?: Store
  bus?: Bus
}

type Plain = OwnedDoc & Record<string, unknown>

export async function buildApp(config: AppConfig, deps: AppDeps = {}): Promise<Service> {
  const logger = deps.logger ?? createLogger({ name: 'app', level: config.logLevel })
  const verifier = deps.verifier ?? await verifierFromTrust('app', config.identity)
  const store = deps.store ?? await openStore({ service: 'app', mongodbUri: config.mongodbUri, dataDir: config.dataDir })
  const bus = deps.bus ?? openBus(config.redisUrl, logger)
  const vault = new VaultClient(config.vaultUrl)
  const auth = new AuthClient(config.authUrl)
  const records = {
    chats: await Owned.open<ChatDoc>(store, 'chats'),
    agents: await Owned.open<Plain>(store, 'agents'),
    workflows: await Owned.open<Plain>(store, 'workflows'),
    integrations: await Owned.open<IntegrationDoc>(store, 'integrations'),
  }

  const app = createService({ name: 'app', logger, readiness: [{ name: 'store', check: () => store.ping() }] })

  // DESIGN §7: when auth deletes a user, everything of theirs goes too.
  const purge = async (event: UserDeletedEvent): Promise<void> => {
    const removed = await Promise.all(Object.values(records).map((r) => r.purge(event.user_id)))
    logger.info({ user_id: event.user_id, removed: removed.reduce((a, b) => a + b, 0) }, 'purged a deleted user\'s data')
  }
  await bus.subscribe('auth.user.deleted', purge)
  app.addHook('onClose', async () => {
    await bus.unsubscribe('auth.user.deleted', purge)
    await Promise.all([vault.close(), auth.close()])
    if (!deps.bus) await bus.close()
    if (!deps.store) await store.close()
  })

  const hub = new ChatHub(bus, randomUUID(), logger)
  new Gauge({ name: 'app_websockets_open', help: 'Chat WebSockets open on this replica', registers: [app.metrics.registry], collect() { this.set(hub.size) } })
  const provider = config.llm.baseUrl
    ? openAiProvider({ baseUrl: config.llm.baseUrl, apiKey: config.llm.apiKey, model: config.llm.model })
    : echoProvider
  await app.register(websocket, {
    options: {
      maxPayload: MAX_FRAME_BYTES,
      handleProtocols: (offered: Set<string>) => (offered.has(WS_SUBPROTOCOL_APP) ? WS_SUBPROTOCOL_APP : false),
    },
    // A frame over the limit, bad UTF-8 or a broken frame is the client's error: ws has already
    // closed the socket with the right code (1009, 1007, 1002). The default handler logs it as ours.
    errorHandler: (err, socket, request) => {
      request.log.info({ err: { message: err.message } }, 'WebSocket closed on a client protocol error')
      socket.terminate()
    },
    // Shutting down: tell clients to reconnect elsewhere (1001), then stop.
    preClose: async () => {
      for (const client of app.websocketServer.clients) client.close(1001, 'Server shutting down')
      await new Promise<void>((resolve) => app.websocketServer.close(() => resolve()))
    },
  })
  await app.register(requireIdentity, { verifier })
  await app.register(chatSocketRoute, { hub, provider })
  await app.register(publicRoutes)
  await app.register(imageProxyRoutes, { allowHosts: config.imageProxyAllowHosts })
  await app.register(crudRoutes({ path: '/api/agents', plural: 'agents', noun: 'Agent', idPrefix: 'agent', fields: AgentFields, records: records.agents }))
  await app.register(crudRoutes({ path: '/api/workflows', plural: 'workflows', noun: 'Workflow', idPrefix: 'wf', fields: WorkflowFields, records: records.workflows }))
  await app.register(chatRoutes(records.chats, vault))
  await app.register(integrationRoutes(records.integrations, vault))
  await app.register(analyticsRoutes({ auth, ...records }))
  return app
}
