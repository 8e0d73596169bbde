import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { join } from 'node:path'

export const RESULTS_DIR = join(process.cwd(), 'bench-results')

/** What the numbers were measured on; benchmarks are only comparable side by side on one machine. */
export function machine(): Record<string, unknown> {
  return { cpus: cpus().length, cpu: cpus()[0]?.model, memory_gib: Math.round(totalmem() / 2 ** 30), node: process.version, at: new Date().toISOString() }
}

export function writeResult(name: string, result: unknown): string {
  mkdirSync(RESULTS_DIR, { recursive: true })
  const file = join(RESULTS_DIR, `${name}.json`)
  writeFileSync(file, JSON.stringify({ machine: machine(), ...result as object }, null, 2) + '\n')
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

function escapeXml(s: string): string {
  return s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c] ?? c)
}

export function writeChart(name: string, svg: string): string {
  mkdirSync(RESULTS_DIR, { recursive: true })
  const file = join(RESULTS_DIR, `${name}.svg`)
  writeFileSync(file, svg)
  return file
}
