export interface ReadinessCheck {
  name: string
  /** Resolves when the dependency answers; rejects or times out otherwise. */
  check: () => Promise<unknown>
}

export interface ReadinessReport {
  ready: boolean
  checks: Record<string, 'ok' | 'failing'>
}

export async function runChecks(checks: readonly ReadinessCheck[], timeoutMs = 2000): Promise<ReadinessReport> {
  const results = await Promise.all(checks.map(async (c) => {
    let timer: NodeJS.Timeout | undefined
    try {
      await Promise.race([
        c.check(),
        new Promise((_, reject) => { timer = setTimeout(() => reject(new Error('timeout')), timeoutMs) }),
      ])
      return [c.name, 'ok'] as const
    } catch {
      return [c.name, 'failing'] as const
    } finally {
      clearTimeout(timer)
    }
  }))
  return { ready: results.every(([, s]) => s === 'ok'), checks: Object.fromEntries(results) }
}
