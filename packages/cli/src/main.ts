import { start } from './commands/start.js'
import { secretsCommand } from './commands/secrets.js'
import { doctorCommand } from './commands/doctor.js'
import { ratelimitCommand } from './commands/ratelimit.js'
import { userCommand } from './commands/user.js'
import { vaultCommand } from './commands/vault.js'
import { UsageError, type Command, type Io } from './commands/types.js'

export const commands: Record<string, Command> = {
  start, secrets: secretsCommand, doctor: doctorCommand, ratelimit: ratelimitCommand, user: userCommand, vault: vaultCommand,
}

export const usage = `Usage: claraverse <command> [--help]

Commands:
  start                    run everything on this machine (embedded mode)
  secrets                  print fresh production secrets as .env lines
  doctor [--env-file F]    check an environment against the production rules
  ratelimit clear <key>    clear a rate limit (Redis)
  user promote <email>     make an account an admin
  vault keys               show the vault's key versions
`

/** Runs one CLI invocation; returns the exit code. Errors become one line on stderr, never a stack. */
export async function main(argv: string[], io: Io): Promise<number> {
  const [name, ...args] = argv
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    io.out(usage)
    return 0
  }
  const command = commands[name]
  if (!command) {
    io.err(`claraverse: unknown command "${name}"\n\n${usage}`)
    return 64
  }
  if (args.includes('--help') || args.includes('-h')) {
    io.out(command.usage)
    return 0
  }
  try {
    return await command.run(args, io)
  } catch (err) {
    const code = err instanceof UsageError ? err.code : 1
    io.err(`claraverse ${name}: ${(err as Error).message}\n`)
    if (code === 64) io.err(`\n${command.usage}`)
    return code
  }
}
