import { readFileSync } from 'node:fs'
import { ConfigError, loadAppConfig, loadAuthConfig, loadGatewayConfig, loadVaultConfig, type Env } from '@claraverse/config'
import type { Command } from './types.js'

/** Reads KEY=VALUE lines (comments and blank lines skipped, optional quotes removed). */
export function parseEnvFile(text: string): Env {
  const env: Env = {}
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line)
    if (!m || m[1] === undefined) continue
    env[m[1]] = (m[2] ?? '').replace(/^(['"])(.*)\1$/, '$2')
  }
  return env
}

const loaders = { gateway: loadGatewayConfig, auth: loadAuthConfig, vault: loadVaultConfig, app: loadAppConfig }

/** `claraverse doctor`: every service's configuration checked against the production rules at once. */
export const doctorCommand: Command = {
  usage: `Usage: claraverse doctor [--env-file FILE]

Checks an environment (this process's, or FILE's KEY=VALUE lines) as production would see it,
for every service, and lists every problem. Exit code 0 when all four would start, 1 otherwise.
Secrets are never printed.
`,
  async run(args, io) {
    let env: Env = io.env
    if (args[0] === '--env-file') {
      if (!args[1]) throw new Error('--env-file needs a file name')
      env = parseEnvFile(readFileSync(args[1], 'utf8'))
    } else if (args.length > 0) {
      throw new Error(`unexpected argument "${args[0]}"`)
    }
    // As production sees it: no development defaults or generated secrets.
    const checked: Env = { ...env, ENVIRONMENT: 'production' }
    let failures = 0
    for (const [service, load] of Object.entries(loaders)) {
      try {
        const config = load(checked)
        io.out(`ok    ${service}${config.warnings.length ? ` (${config.warnings.join('; ')})` : ''}\n`)
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err
        failures++
        for (const p of err.problems) io.out(`FAIL  ${service}: ${p}\n`)
      }
    }
    io.out(failures === 0 ? 'All services would start in production.\n' : `${failures} of 4 services would refuse to start.\n`)
    return failures === 0 ? 0 : 1
  },
}
