export * from './service.js'
export * from './server.js'
export * from './readiness.js'
export * from './request-id.js'
