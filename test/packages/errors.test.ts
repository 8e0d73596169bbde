import t from 'tap'
import { BadGateway, defineError, toErrorReply, ValidationFailed } from '@claraverse/errors'

t.test('a defined error keeps its code, status and message', async (t) => {
  const r = toErrorReply(new ValidationFailed('email is missing'), 'req-1')
  t.equal(r.statusCode, 400)
  t.same(r.body, { error: 'email is missing', code: 'VALIDATION_FAILED', request_id: 'req-1' })
})

t.test('defining a code twice is a programming error', async (t) => {
  defineError('TEST_ONCE', 'once', 400)
  t.throws(() => defineError('TEST_ONCE', 'twice', 400), /defined twice/)
})

t.test('an unknown 5xx hides its message', async (t) => {
  const err = Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:27017 password=hunter2'), { statusCode: 500 })
  const r = toErrorReply(err, 'req-2')
  t.equal(r.statusCode, 500)
  t.same(r.body, { error: 'Internal server error', code: 'INTERNAL_ERROR', request_id: 'req-2' })
})

t.test('a thrown non-error becomes a 500 with the error body', async (t) => {
  const r = toErrorReply('boom', 'req-3')
  t.equal(r.statusCode, 500)
  t.equal(r.body.code, 'INTERNAL_ERROR')
})

t.test('a defined 5xx error may speak, since its message was written for clients', async (t) => {
  const r = toErrorReply(new BadGateway(), 'req-4')
  t.equal(r.statusCode, 502)
  t.equal(r.body.error, 'Upstream service failed')
  t.equal(r.body.code, 'BAD_GATEWAY')
})

t.test("Fastify's own errors are renamed", async (t) => {
  const tooLarge = Object.assign(new Error('Request body is too large'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 })
  t.same(toErrorReply(tooLarge, 'r').body, { error: 'Request body is too large', code: 'PAYLOAD_TOO_LARGE', request_id: 'r' })
  const validation = Object.assign(new Error('body/email must be string'), { statusCode: 400, validation: [{}] })
  t.equal(toErrorReply(validation, 'r').body.code, 'VALIDATION_FAILED')
  const syntax = Object.assign(new SyntaxError('Unexpected token'), { statusCode: 400 })
  t.equal(toErrorReply(syntax, 'r').body.code, 'INVALID_JSON')
})

t.test('extra fields travel with the body but cannot overwrite the contract', async (t) => {
  const err = Object.assign(new Error('slow down'), { statusCode: 429, extra: { retry_after: 12, code: 'X', request_id: 'forged' } })
  const r = toErrorReply(err, 'real')
  t.equal(r.body.retry_after, 12)
  t.equal(r.body.code, 'RATE_LIMITED')
  t.equal(r.body.request_id, 'real')
})
