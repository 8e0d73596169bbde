import { randomUUID } from 'node:crypto'
import { createAssertionSigner, IDENTITY_HEADER, type AssertionSigner } from '@claraverse/identity'
import { loadAppConfig, parsePrivateKey, type Env } from '@claraverse/config'
import { openStore } from '@claraverse/store'
import { traceOf, traceparentOf } from '@claraverse/service-kit'
import { rewrapStale, VaultClient } from '@claraverse/app'
import { UsageError, type Command } from './types.js'

/** The CLI is given the gateway's signing key, so it can mint the assertions it needs (DESIGN §4). */
function signerFrom(env: Env): { url: string; signer: AssertionSigner } {
  const url = env['VAULT_URL']
  const rawKey = env['IDENTITY_SIGNING_KEY']
  if (!url) throw new UsageError('VAULT_URL is not set (e.g. http://vault:3102)', 1)
  if (!rawKey) throw new UsageError('IDENTITY_SIGNING_KEY is not set: the vault only answers the gateway\'s assertions', 1)
  try {
    return { url: url.replace(/\/+$/, ''), signer: createAssertionSigner({ privateKey: parsePrivateKey(rawKey) }) }
  } catch (err) {
    throw new UsageError(`IDENTITY_SIGNING_KEY is not usable: ${(err as Error).message}`, 1)
  }
}

interface KeysReply { primary_version: number; versions: number[] }

async function vaultKeys(url: string, signer: AssertionSigner): Promise<KeysReply> {
  const assertion = signer.sign({ sub: 'ops_cli', email: 'ops@localhost', role: 'admin', sid: 'ops_cli' }, ['vault'])
  let res: Response
  try {
    res = await fetch(`${url}/v1/keys`, { headers: { [IDENTITY_HEADER]: assertion }, signal: AbortSignal.timeout(5000) })
  } catch (err) {
    throw new UsageError(`could not reach the vault at ${url}: ${(err as Error).message}`, 1)
  }
  const body = await res.text()
  if (!res.ok) throw new UsageError(`the vault answered ${res.status}: ${body}`, 1)
  return JSON.parse(body) as KeysReply
}

async function rewrap(env: Env, out: (s: string) => void): Promise<number> {
  const { url, signer } = signerFrom(env)
  const { primary_version: primaryVersion } = await vaultKeys(url, signer)
  const config = loadAppConfig(env)
  const store = await openStore({ service: 'app', mongodbUri: config.mongodbUri, dataDir: config.dataDir })
  const vault = new VaultClient(url)
  const requestId = `ops-rewrap-${randomUUID()}`
  const traceparent = traceparentOf(traceOf({}))
  try {
    const report = await rewrapStale({
      store, vault, primaryVersion,
      // Each blob is its owner's: the vault derives that user's key only for that user's assertion.
      callerFor: (userId) => ({ assertion: signer.sign({ sub: userId, email: 'ops@localhost', role: 'user', sid: 'ops_cli' }, ['vault']), requestId, traceparent }),
      onError: (err, where) => out(`could not rewrap ${where.collection}/${where.id}: ${(err as Error).message}\n`),
    })
    out(`${JSON.stringify({ primary_version: primaryVersion, ...report }, null, 2)}\n`)
    if (report.skipped > 0) out(`${report.skipped} blobs changed while the job ran: run it again before retiring the previous key\n`)
    return report.failed > 0 || report.skipped > 0 ? 1 : 0
  } finally {
    await vault.close()
    await store.close()
  }
}

export const vaultCommand: Command = {
  usage: `Usage: claraverse vault keys
       claraverse vault rewrap

keys    Asks the vault at VAULT_URL which key versions it holds and which is primary (never key
        bytes), with an admin assertion signed by IDENTITY_SIGNING_KEY.
rewrap  After a key rotation: moves every chat and integration credential stored by the app
        (MONGODB_URI, or the embedded store under DATA_DIR) to the vault's primary key, through
        the vault, so plaintext never leaves it. Safe to run while the system serves traffic and
        to run again; exits 1 if anything is left under an old key (failed, or changed while it
        ran: run it again). After a run that exits 0, the previous key can be removed from
        ENCRYPTION_MASTER_KEYS_PREVIOUS.
`,
  async run(args, io) {
    if (args.length !== 1 || (args[0] !== 'keys' && args[0] !== 'rewrap')) throw new UsageError('expected: vault keys | vault rewrap')
    if (args[0] === 'rewrap') return rewrap(io.env, io.out)
    const { url, signer } = signerFrom(io.env)
    io.out(`${JSON.stringify(await vaultKeys(url, signer), null, 2)}\n`)
    return 0
  },
}
