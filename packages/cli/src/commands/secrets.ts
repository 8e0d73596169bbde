import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto'
import type { Command } from './types.js'

/** `claraverse secrets`: fresh production secrets as .env lines (one key per line, no PEM newlines). */
export const secretsCommand: Command = {
  usage: `Usage: claraverse secrets

Prints fresh secrets as .env lines:
  JWT_SECRET              512-bit HS256 secret (gateway, auth)
  ENCRYPTION_MASTER_KEY   256-bit vault master key; back it up apart from the database
  IDENTITY_SIGNING_KEY    Ed25519 private key, base64 PKCS#8 DER (gateway only)
  IDENTITY_PUBLIC_KEY     its public key, base64 SPKI DER (auth, vault, app)
`,
  async run(args, io) {
    if (args.length > 0) throw new Error(`unexpected argument "${args[0]}"`)
    const { privateKey } = generateKeyPairSync('ed25519')
    io.out([
      `JWT_SECRET=${randomBytes(64).toString('hex')}`,
      `ENCRYPTION_MASTER_KEY=${randomBytes(32).toString('hex')}`,
      `IDENTITY_SIGNING_KEY=${privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64')}`,
      `IDENTITY_PUBLIC_KEY=${createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).toString('base64')}`,
    ].join('\n') + '\n')
    return 0
  },
}
