import { startCommand } from '../start.js'
import type { Command } from './types.js'

export const start: Command = {
  usage: `Usage: claraverse start

Runs the gateway and the three services on this machine (embedded mode): the gateway on PORT
(default 3001), the services on loopback ports, the embedded store under DATA_DIR. Ctrl-C stops.
`,
  async run(args) {
    if (args.length > 0) throw new Error(`unexpected argument "${args[0]}"`)
    return startCommand()
  },
}
