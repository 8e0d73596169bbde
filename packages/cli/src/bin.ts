#!/usr/bin/env node
import { startCommand } from './start.js'

const usage = `Usage: claraverse <command>

Commands:
  start    run the gateway and all services on this machine (embedded mode)
  help     show this text
`

const [command] = process.argv.slice(2)
switch (command) {
  case 'start': {
    const code = await startCommand()
    if (code !== 0) process.exitCode = code
    break
  }
  case undefined:
  case 'help':
  case '--help':
  case '-h':
    process.stdout.write(usage)
    break
  default:
    process.stderr.write(`claraverse: unknown command "${command}"\n\n${usage}`)
    process.exitCode = 64 // EX_USAGE
}
