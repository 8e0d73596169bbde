export * from './app.js'
export { lockSeconds, ACCOUNT_POLICY, IP_POLICY } from './domain/throttle.js'
