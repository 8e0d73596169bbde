// `npm run bench [-- name ...]`: runs the named benchmarks (all when none is named).
const all = ['auth', 'gateway', 'vault', 'ws'] as const
const names = process.argv.slice(2).length > 0 ? process.argv.slice(2) : [...all]
for (const name of names) {
  if (!(all as readonly string[]).includes(name)) {
    process.stderr.write(`unknown benchmark "${name}"; choose from: ${all.join(', ')}\n`)
    process.exit(64)
  }
  const mod = await import(`./${name}.js`) as { run: () => Promise<unknown> }
  await mod.run()
}
