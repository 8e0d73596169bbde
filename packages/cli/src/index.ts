export * from './embedded.js'
export * from './main.js'
export { parseEnvFile } from './commands/doctor.js'
