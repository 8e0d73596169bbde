export * from './app.js'
export { ipSubject } from './ratelimit/subject.js'
