import { existsSync, readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { chromium, type Browser } from 'playwright-core'
import type { Test } from 'tap'

/** Debian's package; `.ci/run` exports CHROMIUM_PATH. */
export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium'

/**
 * Like `needServer`: run when Chromium is installed; without it, skip with the reason printed,
 * except under CI=true, which must provide it (.ci/run installs it).
 */
export async function needChromium(t: Test): Promise<boolean> {
  if (existsSync(CHROMIUM_PATH)) return true
  const reason = `Chromium is not installed at ${CHROMIUM_PATH}`
  if (process.env['CI'] === 'true') {
    t.fail(`${reason}, and CI=true requires it (.ci/run installs it)`)
  } else {
    t.comment(`skipping: ${reason} (apt-get install chromium, or set CHROMIUM_PATH)`)
    await t.skip(reason, () => {})
  }
  return false
}

/** Headless, as root, with nothing reaching for the internet (the machine has none). */
export async function launchChromium(t: Test): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    timeout: 15_000,
  })
  t.teardown(() => browser.close())
  return browser
}

const journey = readFileSync(new URL('./journey.js', import.meta.url), 'utf8')
const html = '<!doctype html><meta charset="utf-8"><title>ClaraVerse web client</title><script type="module" src="/journey.js"></script>\n'

/** A static site serving the page that runs journey.js; resolves with its port. */
export async function servePage(t: Test): Promise<number> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0]
    if (path === '/') res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html)
    else if (path === '/journey.js') res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(journey)
    else res.writeHead(404).end()
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) }))
  return (server.address() as AddressInfo).port
}
