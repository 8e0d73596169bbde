import { execFileSync, fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, release, totalmem, type } from 'node:os'
import { join } from 'node:path'

export const RESULTS_DIR = join(process.cwd(), 'bench-results')

/** Files written by writeResult/writeChart since the last `takeWritten()`: what `run.ts` publishes. */
const written: string[] = []
let started = { at: new Date().toISOString(), loadavg: loadavg() }

/** Marks the start of a benchmark: its date and the machine's load before it ran (other work skews figures). */
export function beginBenchmark(): void {
  started = { at: new Date().toISOString(), loadavg: loadavg() }
}

export function takeWritten(): string[] {
  return written.splice(0)
}

function osName(): string {
  try {
    const pretty = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1]
    if (pretty) return `${pretty} (${type()} ${release()})`
  } catch { /* not Linux */ }
  return `${type()} ${release()}`
}

function gitCommit(): string | undefined {
  try {
    const head = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() !== ''
    return dirty ? `${head}+uncommitted changes` : head
  } catch {
    return undefined
  }
}

/** What the numbers were measured on; benchmarks are only comparable side by side on one machine. */
export function machine(): Record<string, unknown> {
  return {
    cpus: cpus().length, cpu: cpus()[0]?.model, memory_gib: Math.round(totalmem() / 2 ** 30), node: process.version, os: osName(),
    commit: gitCommit(), started_at: started.at, at: new Date().toISOString(),
    // 1/5/15-minute load averages just before the benchmark started: above ~0.5 per core, other work shared the machine.
    loadavg_before: started.loadavg.map((l) => Math.round(l * 100) / 100),
    ...(process.env['BENCH_NOTE'] ? { note: process.env['BENCH_NOTE'] } : {}),
  }
}

export function writeResult(name: string, result: unknown): string {
  mkdirSync(RESULTS_DIR, { recursive: true })
  const file = join(RESULTS_DIR, `${name}.json`)
  writeFileSync(file, JSON.stringify({ machine: machine(), ...result as object }, null, 2) + '\n')
  written.push(file)
  return file
}

/** Starts a TypeScript child process that reports over IPC; resolves with its first message. */
export async function child<T>(script: string, args: string[], env: Record<string, string> = {}): Promise<{ proc: ChildProcess; first: T }> {
  const proc = fork(script, args, { execArgv: script.endsWith('.ts') ? ['--import', 'tsx'] : [], env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const [first] = await once(proc, 'message') as [T]
  return { proc, first }
}

export async function nextMessage<T>(proc: ChildProcess): Promise<T> {
  const [msg] = await once(proc, 'message') as [T]
  return msg
}

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN

/** A plain SVG bar chart, so results can be looked at without any tool. */
export function barChart(title: string, unit: string, bars: Array<{ label: string; value: number }>): string {
  const width = 720
  const rowH = 34
  const left = 260
  const max = Math.max(...bars.map((b) => b.value), 1)
  const rows = bars.map((b, i) => {
    const y = 50 + i * rowH
    const w = Math.max(1, ((width - left - 90) * b.value) / max)
    return `<text x="${left - 8}" y="${y + 17}" text-anchor="end" font-size="13">${escapeXml(b.label)}</text>` +
      `<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="24" fill="#4a7bd0"/>` +
      `<text x="${left + w + 6}" y="${y + 17}" font-size="13">${b.value.toFixed(0)} ${escapeXml(unit)}</text>`
  }).join('\n')
  const height = 70 + bars.length * rowH
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">\n` +
    `<rect width="100%" height="100%" fill="white"/>\n<text x="10" y="28" font-size="16" font-weight="bold">${escapeXml(title)}</text>\n${rows}\n</svg>\n`
}

export interface Series { name: string; color: string; points: Array<[number, number]> }
export interface Panel { title: string; unit: string; series: Series[] }

/** 1, 2 or 5 times a power of ten: axis steps a reader can add up. */
function niceStep(range: number, ticks: number): number {
  const raw = Math.max(range, 1e-9) / ticks
  const pow = 10 ** Math.floor(Math.log10(raw))
  return ([1, 2, 5, 10].find((m) => m * pow >= raw) ?? 10) * pow
}

const fmt = (v: number): string => (Math.abs(v) >= 100 || Number.isInteger(v) ? v.toFixed(0) : v.toPrecision(2))

/**
 * Plain SVG line charts over one shared x axis, one panel per unit (e.g. memory above, latency
 * below), with optional vertical markers (e.g. the end of a warm-up).
 */
export function lineChart(title: string, xLabel: string, panels: Panel[], markers: Array<{ x: number; label: string }> = []): string {
  const width = 720
  const left = 64
  const right = 16
  const panelH = 190
  const gap = 46
  const top = 62
  const xs = panels.flatMap((p) => p.series.flatMap((s) => s.points.map(([x]) => x)))
  const [x0, x1] = [Math.min(...xs, 0), Math.max(...xs, 1)]
  const sx = (x: number): number => left + ((x - x0) / Math.max(x1 - x0, 1e-9)) * (width - left - right)
  const xStep = niceStep(x1 - x0, 8)
  const out: string[] = []
  panels.forEach((panel, i) => {
    const y0 = top + i * (panelH + gap)
    const ymax = Math.max(...panel.series.flatMap((s) => s.points.map(([, y]) => y)), 1e-9) * 1.1
    const yStep = niceStep(ymax, 4)
    const yTop = Math.ceil(ymax / yStep) * yStep
    const sy = (y: number): number => y0 + panelH - (y / yTop) * panelH
    out.push(`<text x="${left}" y="${y0 - 8}" font-size="13" font-weight="bold">${escapeXml(panel.title)} (${escapeXml(panel.unit)})</text>`)
    for (let y = 0; y <= yTop + 1e-9; y += yStep) {
      out.push(`<line x1="${left}" x2="${width - right}" y1="${sy(y).toFixed(1)}" y2="${sy(y).toFixed(1)}" stroke="#e4e4e4"/>`,
        `<text x="${left - 6}" y="${(sy(y) + 4).toFixed(1)}" text-anchor="end" font-size="11">${fmt(y)}</text>`)
    }
    for (let x = Math.ceil(x0 / xStep) * xStep; x <= x1 + 1e-9; x += xStep) {
      out.push(`<text x="${sx(x).toFixed(1)}" y="${y0 + panelH + 14}" text-anchor="middle" font-size="11">${fmt(x)}</text>`)
    }
    for (const m of markers) {
      out.push(`<line x1="${sx(m.x).toFixed(1)}" x2="${sx(m.x).toFixed(1)}" y1="${y0}" y2="${y0 + panelH}" stroke="#999" stroke-dasharray="4 3"/>`)
      if (i === 0) out.push(`<text x="${(sx(m.x) + 4).toFixed(1)}" y="${y0 + 12}" font-size="11" fill="#666">${escapeXml(m.label)}</text>`)
    }
    for (const s of panel.series) {
      const pts = s.points.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ')
      out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="1.6" points="${pts}"/>`)
    }
    // The legend over the lines, on a backing so a line through it does not hide a name.
    out.push(`<rect x="${width - right - 196}" y="${y0 + 3}" width="180" height="${panel.series.length * 16 + 4}" fill="white" opacity="0.85"/>`)
    panel.series.forEach((s, j) => {
      out.push(`<rect x="${width - right - 190}" y="${y0 + 6 + j * 16}" width="10" height="10" fill="${s.color}"/>`,
        `<text x="${width - right - 175}" y="${y0 + 15 + j * 16}" font-size="11">${escapeXml(s.name)}</text>`)
    })
    out.push(`<rect x="${left}" y="${y0}" width="${width - left - right}" height="${panelH}" fill="none" stroke="#888"/>`)
  })
  const height = top + panels.length * (panelH + gap) + 4
  out.push(`<text x="${(left + width - right) / 2}" y="${height - 10}" text-anchor="middle" font-size="12">${escapeXml(xLabel)}</text>`)
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">\n` +
    `<rect width="100%" height="100%" fill="white"/>\n<text x="10" y="24" font-size="16" font-weight="bold">${escapeXml(title)}</text>\n${out.join('\n')}\n</svg>\n`
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c] ?? c)
}

export function writeChart(name: string, svg: string): string {
  mkdirSync(RESULTS_DIR, { recursive: true })
  const file = join(RESULTS_DIR, `${name}.svg`)
  writeFileSync(file, svg)
  written.push(file)
  return file
}
