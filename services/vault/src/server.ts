#!/usr/bin/env node
import { ConfigError, loadVaultConfig, type VaultConfig } from '@claraverse/config'
import { runServer } from '@claraverse/service-kit'
import { buildApp } from './app.js'

function config(): VaultConfig | undefined {
  try {
    return loadVaultConfig()
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    // The message names each variable and what is wrong; a stack trace would only bury it.
    process.stderr.write(`${err.message}\n`)
    return undefined
  }
}

const loaded = config()
if (loaded === undefined) {
  process.exitCode = 78 // EX_CONFIG, as `claraverse start` does
} else {
  const app = await buildApp(loaded)
  for (const w of loaded.warnings) app.log.warn(w)
  await runServer(app, loaded)
}
