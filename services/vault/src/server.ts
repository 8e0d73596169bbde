#!/usr/bin/env node
import { loadVaultConfig } from '@claraverse/config'
import { runServer } from '@claraverse/service-kit'
import { buildApp } from './app.js'

const config = loadVaultConfig()
const app = await buildApp(config)
for (const w of config.warnings) app.log.warn(w)
await runServer(app, config)
