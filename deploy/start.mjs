// Container entry: runs one part of the system, chosen by argument or by SERVICE.
const servers = {
  gateway: '../gateway/dist/server.js',
  auth: '../services/auth/dist/server.js',
  vault: '../services/vault/dist/server.js',
  app: '../services/app/dist/server.js',
}
const defaultPorts = { gateway: '3001', auth: '3101', vault: '3102', app: '3103' }
const name = process.argv[2] ?? process.env.SERVICE ?? 'gateway'
if (!(name in servers)) {
  process.stderr.write(`unknown service "${name}"; choose one of: ${Object.keys(servers).join(', ')}\n`)
  process.exit(64)
}
process.env.PORT ??= defaultPorts[name]
process.env.SERVICE = name
await import(new URL(servers[name], import.meta.url).href)
