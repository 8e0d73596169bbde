import { createAssertionSigner, IDENTITY_HEADER } from '@claraverse/identity'
import { parsePrivateKey } from '@claraverse/config'
import { UsageError, type Command } from './types.js'

/**
 * `claraverse vault keys`: the vault's key versions, asked of the running vault. The CLI is given
 * the gateway's signing key, so it can mint the one assertion it needs (DESIGN §4).
 */
export const vaultCommand: Command = {
  usage: `Usage: claraverse vault keys

Asks the vault at VAULT_URL which key versions it holds and which is primary (never key bytes),
with an admin assertion signed by IDENTITY_SIGNING_KEY.
`,
  async run(args, io) {
    if (args[0] !== 'keys' || args.length !== 1) throw new UsageError('expected: vault keys')
    const url = io.env['VAULT_URL']
    const rawKey = io.env['IDENTITY_SIGNING_KEY']
    if (!url) throw new UsageError('VAULT_URL is not set (e.g. http://vault:3102)', 1)
    if (!rawKey) throw new UsageError('IDENTITY_SIGNING_KEY is not set: the vault only answers the gateway\'s assertions', 1)
    let privateKey
    try {
      privateKey = parsePrivateKey(rawKey)
    } catch (err) {
      throw new UsageError(`IDENTITY_SIGNING_KEY is not usable: ${(err as Error).message}`, 1)
    }
    const assertion = createAssertionSigner({ privateKey }).sign({ sub: 'ops_cli', email: 'ops@localhost', role: 'admin', sid: 'ops_cli' }, ['vault'])
    let res: Response
    try {
      res = await fetch(`${url.replace(/\/+$/, '')}/v1/keys`, { headers: { [IDENTITY_HEADER]: assertion }, signal: AbortSignal.timeout(5000) })
    } catch (err) {
      throw new UsageError(`could not reach the vault at ${url}: ${(err as Error).message}`, 1)
    }
    const body = await res.text()
    if (!res.ok) throw new UsageError(`the vault answered ${res.status}: ${body}`, 1)
    io.out(`${JSON.stringify(JSON.parse(body), null, 2)}\n`)
    return 0
  },
}
