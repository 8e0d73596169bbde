// `npm run bench [-- name [seconds] ...]`: runs the named benchmarks (all when none is named), then
// renders docs/benchmarks.md from the latest published result of every benchmark, so running one
// benchmark updates its own section and keeps the others. `npm run bench -- report` only renders.
// A number after `soak` is its duration in seconds (like SOAK_SECONDS).
import { beginBenchmark, takeWritten } from './lib.js'
import { publish, renderReport } from './report.js'

const all = ['auth', 'gateway', 'vault', 'ws', 'soak'] as const
const argv = process.argv.slice(2)
const plan: Array<{ name: string; args: string[] }> = []
for (const arg of argv) {
  if (/^\d+$/.test(arg) && plan.length > 0) plan[plan.length - 1]!.args.push(arg)
  else plan.push({ name: arg, args: [] })
}
const onlyReport = plan.length === 1 && plan[0]!.name === 'report'
if (plan.length === 0) plan.push(...all.map((name) => ({ name, args: [] })))
for (const { name } of onlyReport ? [] : plan) {
  if (!(all as readonly string[]).includes(name)) {
    process.stderr.write(`unknown benchmark "${name}"; choose from: ${all.join(', ')} (or "report" alone to render docs/benchmarks.md)\n`)
    process.exit(64)
  }
}

const failed: string[] = []
for (const { name, args } of onlyReport ? [] : plan) {
  beginBenchmark()
  takeWritten()
  try {
    const mod = await import(`./${name}.js`) as { run: (args: string[]) => Promise<unknown> }
    await mod.run(args)
    publish(name, takeWritten())
  } catch (err) {
    // The others still run; the report keeps this benchmark's previous figures.
    failed.push(name)
    takeWritten()
    process.stderr.write(`${name}: failed: ${(err as Error).stack ?? String(err)}\n`)
  }
}
process.stdout.write(`report: ${renderReport()}\n`)
if (failed.length > 0) {
  process.stderr.write(`failed: ${failed.join(', ')}\n`)
  process.exitCode = 1
}
