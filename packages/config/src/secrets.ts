import { mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs'
import { join } from 'node:path'

/**
 * Development only: returns the secret kept in `<dataDir>/secrets/<name>`, creating it with
 * `generate()` on first use. The file is created exclusively (`wx`) with mode 0600, so two
 * processes starting together agree on one value and a restart loses nothing.
 */
export function devSecret(dataDir: string, name: string, generate: () => string): string {
  const dir = join(dataDir, 'secrets')
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const file = join(dir, name)
  try {
    return readFileSync(file, 'utf8').trim()
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  try {
    writeFileSync(file, generate() + '\n', { flag: 'wx', mode: 0o600 })
    chmodSync(file, 0o600) // the umask may have widened nothing, but may have narrowed; be exact
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
  }
  return readFileSync(file, 'utf8').trim()
}
