export * from './embedded.js'
