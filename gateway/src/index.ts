export * from './app.js'
export { ipSubject } from './ratelimit/subject.js'
export { clearableKey } from './ratelimit/tiers.js'
