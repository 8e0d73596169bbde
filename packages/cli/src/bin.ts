#!/usr/bin/env node
import { main } from './main.js'

const code = await main(process.argv.slice(2), {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  env: process.env,
})
if (code !== 0) process.exitCode = code
