export * from './app.js'
export { lockSeconds, ACCOUNT_POLICY, IP_POLICY } from './domain/throttle.js'
// For the ops CLI, which works on the same store as the service.
export { Users } from './domain/users.js'
export { AuditLog } from './domain/audit.js'
export { canonicalEmail } from './domain/emails.js'
