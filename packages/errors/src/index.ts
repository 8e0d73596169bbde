export * from './codes.js'
export * from './body.js'
