// Container health check: the running part answers its own /health on loopback.
const port = process.env.PORT ?? { gateway: 3001, auth: 3101, vault: 3102, app: 3103 }[process.env.SERVICE ?? 'gateway']
try {
  const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2500) })
  process.exit(res.ok ? 0 : 1)
} catch {
  process.exit(1)
}
