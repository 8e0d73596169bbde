import type { FastifyPluginAsync } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { ListOf } from '../schemas/common.js'

const Template = Type.Object({ id: Type.String(), name: Type.String(), description: Type.String(), system_prompt: Type.String(), tools: Type.Array(Type.String()) })

/** Built-in agent templates: the same for everyone, readable without an account. */
export const agentTemplates = [
  { id: 'tpl_assistant', name: 'General assistant', description: 'Answers questions clearly and briefly.', system_prompt: 'You are a helpful assistant. Answer clearly and briefly.', tools: [] },
  { id: 'tpl_writer', name: 'Writing editor', description: 'Improves clarity and tone of a text without changing its meaning.', system_prompt: 'You edit text for clarity and tone. Keep the meaning; explain significant changes.', tools: [] },
  { id: 'tpl_coder', name: 'Code reviewer', description: 'Reviews code for bugs, security issues and readability.', system_prompt: 'You review code. Point out bugs and security issues first, then readability.', tools: [] },
  { id: 'tpl_researcher', name: 'Researcher', description: 'Plans a search, reads sources and summarises with citations.', system_prompt: 'You research topics: plan, gather sources, summarise with citations.', tools: ['web_search'] },
]

export const publicRoutes: FastifyPluginAsync = async (instance) => {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>()
  app.get('/api/public/agent-templates', { config: { identity: false }, schema: { response: { 200: ListOf('templates', Template) } } }, async (_request, reply) => {
    reply.header('cache-control', 'public, max-age=300')
    return { templates: agentTemplates, total_count: agentTemplates.length, page: 1, page_size: agentTemplates.length }
  })
}
