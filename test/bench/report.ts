// docs/benchmarks.md: rendered from docs/benchmarks/<name>.json, the latest published result of
// each benchmark (committed, unlike bench-results/), so one benchmark's run never loses the others'.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { sections, type Result } from './report-sections.js'

export const DOCS = join(process.cwd(), 'docs')
const DATA = join(DOCS, 'benchmarks')
const ORDER = ['gateway', 'auth', 'vault', 'ws', 'soak']

/** Copies one benchmark's fresh JSON and charts from bench-results/ next to the report. */
export function publish(name: string, files: string[]): void {
  mkdirSync(DATA, { recursive: true })
  const charts = files.filter((f) => f.endsWith('.svg')).map((f) => basename(f))
  for (const f of files) {
    if (f.endsWith('.svg')) copyFileSync(f, join(DATA, basename(f)))
    else if (basename(f) === `${name}.json`) {
      const result = JSON.parse(readFileSync(f, 'utf8')) as Record<string, unknown>
      writeFileSync(join(DATA, `${name}.json`), JSON.stringify({ ...result, charts }, null, 2) + '\n')
    }
  }
}

function load(): Array<{ name: string; result: Result }> {
  let files: string[] = []
  try {
    files = readdirSync(DATA).filter((f) => f.endsWith('.json'))
  } catch { /* nothing published yet */ }
  const rank = (n: string): number => (ORDER.includes(n) ? ORDER.indexOf(n) : ORDER.length)
  return files.map((f) => ({ name: f.slice(0, -'.json'.length), result: JSON.parse(readFileSync(join(DATA, f), 'utf8')) as Result }))
    .sort((a, b) => rank(a.name) - rank(b.name) || a.name.localeCompare(b.name))
}

const MACHINE_KEYS: Array<[string, string]> = [['cpu', 'CPU'], ['cpus', 'cores'], ['memory_gib', 'RAM (GiB)'], ['node', 'Node.js'], ['os', 'OS']]

function machineTable(results: Array<{ name: string; result: Result }>): string {
  const rows = MACHINE_KEYS.map(([key, label]) => {
    const values = [...new Set(results.map((r) => String(r.result.machine?.[key] ?? '?')))]
    return `| ${label} | ${values.join(' / ')}${values.length > 1 ? ' (differs between benchmarks, see each section)' : ''} |`
  })
  return ['| | |', '|---|---|', ...rows].join('\n')
}

function runTable(results: Array<{ name: string; result: Result }>): string {
  const rows = results.map(({ name, result: r }) => {
    const m = r.machine ?? {}
    const load = Array.isArray(m['loadavg_before']) ? (m['loadavg_before'] as number[]).join(' / ') : '?'
    return `| ${name} | ${String(m['started_at'] ?? m['at'] ?? '?').replace('T', ' ').slice(0, 16)} UTC | \`${String(m['commit'] ?? '?')}\` | ${load} |`
  })
  return ['| benchmark | run at | commit | load average before (1/5/15 min) |', '|---|---|---|---|', ...rows].join('\n')
}

const REPRODUCE = `## How to reproduce

\`\`\`bash
sudo apt-get install wrk nginx-light redis-server   # the gateway benchmark needs wrk, nginx and Redis; ws needs Redis
npm install
npm run bench                  # every benchmark (~6 minutes), then this page
npm run bench -- gateway       # one benchmark: rewrites its section, keeps the others
npm run bench -- soak 600      # the soak for 10 minutes (or SOAK_SECONDS=600)
npm run bench -- report        # re-render this page from docs/benchmarks/*.json
\`\`\`

Redis is expected at \`REDIS_URL\` (default \`redis://127.0.0.1:6379\`). Knobs: \`BENCH_SECONDS\` (seconds per
measurement in auth, gateway, vault), \`BENCH_WS_CONNECTIONS\`, \`BENCH_WS_MESSAGES\`, \`SOAK_SECONDS\`,
\`SOAK_RATE\`, \`SOAK_WS_RATE\`, \`SOAK_USERS\`, \`SOAK_WARMUP_SECONDS\`, \`SOAK_LOG_LEVEL\`, \`SOAK_REDIS_URL\`, and
\`BENCH_NOTE\` (a remark stored with the results and shown above, e.g. the conditions of the run). Each
benchmark writes \`bench-results/<name>.json\` and its charts (not committed) and publishes them to
\`docs/benchmarks/\`, from which this page is rendered. Run on an otherwise idle machine: the load
averages above show how busy it was when each benchmark started.`

/** Writes docs/benchmarks.md from every published result; returns its path. */
export function renderReport(): string {
  const results = load()
  const rendered = results.map(({ name, result }) => ({ name, ...(sections[name] ?? sections['generic']!)(result, name) }))
  // BENCH_NOTE of each run, once per distinct note, with the benchmarks it applies to.
  const notes = new Map<string, string[]>()
  for (const { name, result } of results) {
    const note = result.machine?.['note']
    if (typeof note === 'string' && note !== '') notes.set(note, [...notes.get(note) ?? [], name])
  }
  const md = [
    '# Benchmarks',
    '',
    ...[...notes].map(([note, names]) => `> **Conditions of the figures of ${names.length === results.length ? 'every benchmark' : names.join(', ')}:** ${note}\n`),
    'Rendered by `npm run bench` from `docs/benchmarks/*.json` (the latest result of each benchmark). ' +
    'Each benchmark measures its paths side by side in one run on one machine, so its ratios are comparable ' +
    'across machines while its absolute figures are not. The gateway\'s target is the budget of DESIGN §15 (full chain at ' +
    'half of nginx); the others are the targets each benchmark records in its JSON (`target_*`); the soak has no budget ' +
    'and checks that nothing fails and the offered rate is held.',
    '',
    '## Summary',
    '',
    '| benchmark | figure | measured | target | met |',
    '|---|---|---|---|---|',
    ...rendered.flatMap((r) => r.summary.map((s) => `| ${r.name} | ${s.figure} | ${s.measured} | ${s.target ?? '—'} | ${s.met === undefined ? '—' : s.met ? 'yes' : '**no**'} |`)),
    '',
    '## Machine and runs',
    '',
    machineTable(results),
    '',
    runTable(results),
    '',
    REPRODUCE,
    '',
    ...rendered.flatMap((r) => [r.body, '']),
  ].join('\n')
  mkdirSync(DOCS, { recursive: true })
  const file = join(DOCS, 'benchmarks.md')
  writeFileSync(file, md.replace(/\n{3,}/g, '\n\n'))
  return file
}
