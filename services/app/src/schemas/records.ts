import { Type } from '@sinclair/typebox'

const text = (max: number) => Type.String({ maxLength: max })

export const AgentFields = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 200 }),
  description: Type.Optional(text(2000)),
  system_prompt: Type.Optional(text(50_000)),
  model: Type.Optional(Type.String({ maxLength: 200 })),
  temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 2 })),
  tools: Type.Optional(Type.Array(Type.String({ maxLength: 100 }), { maxItems: 50 })),
}, { additionalProperties: false })

export const WorkflowStep = Type.Object({
  type: Type.String({ minLength: 1, maxLength: 64 }),
  name: Type.Optional(text(200)),
  agent_id: Type.Optional(Type.String({ maxLength: 128 })),
  // Closed, with the key bound in the pattern: a Record is only `patternProperties`, and a key its
  // pattern misses (one with a line break, which `.` does not match) would pass with any value.
  config: Type.Optional(Type.Record(Type.String({ pattern: '^.{0,100}$' }), Type.Union([Type.String({ maxLength: 10_000 }), Type.Number(), Type.Boolean(), Type.Null()]), { maxProperties: 50, additionalProperties: false })),
}, { additionalProperties: false })

export const WorkflowFields = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 200 }),
  description: Type.Optional(text(2000)),
  enabled: Type.Optional(Type.Boolean()),
  steps: Type.Array(WorkflowStep, { maxItems: 100 }),
}, { additionalProperties: false })
