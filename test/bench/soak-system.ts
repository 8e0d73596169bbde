// The system under soak: `claraverse start` (embedded mode) as its own process, and what is
// sampled from it once a second: RSS, CPU time and open descriptors from /proc (Linux), the V8
// heap and event-loop delay through the preloaded probe (soak-probe.mjs).
import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { cleanEnv } from '../helpers/spawn.js'

/** The largest value the configuration accepts: the soak measures the system, never its limiter. */
const UNLIMITED = '1000000'
const CLOCK_TICKS = 100 // USER_HZ, 100 on every Linux architecture Node supports

export interface Sample {
  /** Seconds since traffic started. */
  t: number
  rss_mib: number
  heap_used_mib: number
  heap_total_mib: number
  external_mib: number
  cpu_pct: number
  fds: number
  loop_p99_ms: number
  loop_max_ms: number
}

interface ProbeReply { id: number; gc: boolean; gc_ms: number; rss: number; heap_used: number; heap_total: number; external: number; loop_p99_ms: number; loop_max_ms: number }

export interface System {
  url: string
  pid: number
  sample(t: number): Promise<Sample>
  /** Heap used after a forced full GC, in MiB, and how long that GC stopped the system. */
  retainedHeap(): Promise<{ mib: number; gc_ms: number }>
  /** Log lines the system wrote after start-up (LOG_LEVEL=warn by default: warnings and errors). */
  logLines(): string[]
  /** SIGTERM, as an operator would; resolves with the exit code (or signal name). */
  stop(): Promise<number | string>
}

const mib = (bytes: number): number => bytes / 2 ** 20

function procStatus(pid: number): { rss: number; cpuTicks: number; fds: number } | undefined {
  try {
    const rssKib = Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1])
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const cpuTicks = Number(fields[11]) + Number(fields[12])
    return { rss: rssKib * 1024, cpuTicks, fds: readdirSync(`/proc/${pid}/fd`).length }
  } catch {
    return undefined // not Linux: the probe's figures stand in
  }
}

export async function startSystem(opts: { logLevel: string; redisUrl: string | undefined }): Promise<System> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cv-bench-soak-'))
  const env = cleanEnv({
    PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: opts.logLevel,
    RATE_LIMIT_GLOBAL_API: UNLIMITED, RATE_LIMIT_PUBLIC_READ: UNLIMITED, RATE_LIMIT_AUTHENTICATED: UNLIMITED,
    RATE_LIMIT_WEBSOCKET: UNLIMITED, RATE_LIMIT_AUTH: UNLIMITED, RATE_LIMIT_IMAGE_PROXY: UNLIMITED,
    ...(opts.redisUrl ? { REDIS_URL: opts.redisUrl } : {}),
  })
  const proc: ChildProcess = fork(resolve('packages/cli/dist/bin.js'), ['start'], {
    env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    execArgv: ['--expose-gc', '--import', pathToFileURL(resolve('test/bench/soak-probe.mjs')).href],
  })
  let out = ''
  let startedAt = -1
  const collect = (d: Buffer): void => { out += d.toString() }
  proc.stdout?.on('data', collect)
  proc.stderr?.on('data', collect)
  const exited = once(proc, 'exit').then(([code, signal]) => (code ?? signal) as number | string)
  const url = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`the system did not start within 30 s:\n${out}`)), 30_000)
    const check = (): void => {
      const m = /running at (http:\/\/\S+)/.exec(out)
      if (m?.[1]) { clearTimeout(timer); proc.stdout?.off('data', check); startedAt = out.length; ok(m[1]) }
    }
    proc.stdout?.on('data', check)
    void exited.then((code) => fail(new Error(`the system exited (${code}) before it started:\n${out}`)))
  })
  const pid = proc.pid ?? -1

  let nextId = 0
  const pending = new Map<number, (r: ProbeReply) => void>()
  proc.on('message', (m: ProbeReply & { type?: string }) => {
    if (m.type === 'soak:sample') pending.get(m.id)?.(m)
  })
  const ask = (gc: boolean): Promise<ProbeReply | undefined> => new Promise((ok) => {
    const id = nextId++
    const timer = setTimeout(() => { pending.delete(id); ok(undefined) }, gc ? 10_000 : 2_000)
    pending.set(id, (r) => { clearTimeout(timer); pending.delete(id); ok(r) })
    proc.send({ type: 'soak:sample', id, gc })
  })

  let last = { at: performance.now(), ticks: procStatus(pid)?.cpuTicks ?? 0 }
  return {
    url, pid,
    async sample(t) {
      const [os, probe] = [procStatus(pid), await ask(false)]
      const now = performance.now()
      const ticks = os?.cpuTicks ?? last.ticks
      const cpuPct = ((ticks - last.ticks) / CLOCK_TICKS) / ((now - last.at) / 1000) * 100
      last = { at: now, ticks }
      return {
        t, rss_mib: mib(os?.rss ?? probe?.rss ?? NaN), heap_used_mib: mib(probe?.heap_used ?? NaN), heap_total_mib: mib(probe?.heap_total ?? NaN),
        external_mib: mib(probe?.external ?? NaN), cpu_pct: os ? cpuPct : NaN, fds: os?.fds ?? NaN,
        loop_p99_ms: probe?.loop_p99_ms ?? NaN, loop_max_ms: probe?.loop_max_ms ?? NaN,
      }
    },
    async retainedHeap() {
      const r = await ask(true)
      return r?.gc ? { mib: mib(r.heap_used), gc_ms: r.gc_ms } : { mib: NaN, gc_ms: NaN }
    },
    logLines: () => out.slice(Math.max(startedAt, 0)).split('\n').filter((l) => l.trim() !== ''),
    async stop() {
      proc.kill('SIGTERM')
      const killer = setTimeout(() => proc.kill('SIGKILL'), 15_000)
      const code = await exited
      clearTimeout(killer)
      rmSync(dataDir, { recursive: true, force: true })
      return code
    },
  }
}
