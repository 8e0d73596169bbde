import closeWithGrace from 'close-with-grace'
import { ConfigError } from '@claraverse/config'
import { startEmbedded } from './embedded.js'

/** `claraverse start`: the whole system in one process, for one machine. */
export async function startCommand(): Promise<number> {
  let system
  try {
    system = await startEmbedded()
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`)
      return 78 // EX_CONFIG
    }
    throw err
  }
  const { gatewayUrl, urls, close } = system
  process.stdout.write(
    `ClaraVerse Gateway is running at ${gatewayUrl}\n` +
    `  auth  ${urls.auth}\n  vault ${urls.vault}\n  app   ${urls.app}\n` +
    'Embedded mode: data in DATA_DIR (default ./data), no Redis or MongoDB needed. Press Ctrl-C to stop.\n',
  )
  closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
    if (err) process.stderr.write(`stopping after an error: ${String(err)}\n`)
    else process.stdout.write(`${signal ?? 'signal'} received, stopping\n`)
    await close()
  })
  return 0
}
