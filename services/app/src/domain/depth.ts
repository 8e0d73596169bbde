/**
 * True when `value` nests objects or arrays more than `max` levels deep (a scalar is 0 levels,
 * `{}` one). Iterative on purpose: a body nested 100,000 levels deep fits in 1 MiB and would
 * overflow the stack of any recursive walk, JSON.stringify included.
 */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  const pending: Array<{ v: unknown; level: number }> = [{ v: value, level: 0 }]
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (typeof next.v !== 'object' || next.v === null) continue
    if (next.level >= max) return true
    for (const child of Object.values(next.v)) pending.push({ v: child, level: next.level + 1 })
  }
  return false
}
