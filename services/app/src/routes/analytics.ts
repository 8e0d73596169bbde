import type { FastifyPluginAsync } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { AuthClient } from '../clients/auth.js'
import { callerOf } from '../clients/caller.js'
import type { Owned, OwnedDoc } from '../domain/owned.js'
import type { ChatDoc } from './chats.js'

const Analytics = Type.Object({
  total_users: Type.Integer(), admins: Type.Integer(), active_sessions: Type.Integer(), logins_24h: Type.Integer(), failed_logins_24h: Type.Integer(),
  total_chats: Type.Integer(), total_messages: Type.Integer(), total_agents: Type.Integer(), total_workflows: Type.Integer(), total_integrations: Type.Integer(),
})

export interface AnalyticsSources {
  auth: AuthClient
  chats: Owned<ChatDoc>
  agents: Owned<OwnedDoc>
  workflows: Owned<OwnedDoc>
  integrations: Owned<OwnedDoc>
}

async function totalMessages(chats: Owned<ChatDoc>): Promise<number> {
  // No aggregation in the store interface: page through counts (chats carry their message count).
  let total = 0
  for (let skip = 0; ; skip += 1000) {
    const page = await chats.col.find({}, { sort: { _id: 1 }, skip, limit: 1000 })
    for (const c of page) total += c.message_count
    if (page.length < 1000) return total
  }
}

/** Admin figures: auth's (it decides, with the admin's own assertion, who may see them) plus the app's. */
export function analyticsRoutes(s: AnalyticsSources): FastifyPluginAsync {
  return async (instance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>()
    app.get('/api/admin/analytics', { schema: { response: { 200: Analytics } } }, async (request) => {
      const auth = await s.auth.stats(callerOf(request))
      const [total_chats, total_messages, total_agents, total_workflows, total_integrations] = await Promise.all([
        s.chats.countAll(), totalMessages(s.chats), s.agents.countAll(), s.workflows.countAll(), s.integrations.countAll(),
      ])
      return { ...auth, total_chats, total_messages, total_agents, total_workflows, total_integrations }
    })
  }
}
