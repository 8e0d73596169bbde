import t from 'tap'
import { readFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadAppConfig, loadAuthConfig, loadGatewayConfig, loadVaultConfig } from '@claraverse/config'

t.test('the README documents every variable the services read', async (t) => {
  const readme = readFileSync('README.md', 'utf8')
  const seen = new Set<string>()
  const dataDir = mkdtempSync(join(tmpdir(), 'cv-readme-'))
  // An environment that records every name asked of it.
  const env = new Proxy({} as Record<string, string | undefined>, {
    get(_target, name) {
      if (typeof name === 'string') seen.add(name)
      return name === 'DATA_DIR' ? dataDir : undefined
    },
  })
  loadGatewayConfig(env).superadmins()
  loadAuthConfig(env)
  loadVaultConfig(env)
  loadAppConfig(env)
  t.ok(seen.size > 30, `found ${seen.size} variables`)
  for (const name of seen) t.ok(readme.includes(`| \`${name}\` |`), `${name} has a row in the configuration table`)
})

t.test('the README names the two set-up commands', async (t) => {
  const readme = readFileSync('README.md', 'utf8')
  t.match(readme, /npm start/)
  t.match(readme, /npm test/)
})
