import t from 'tap'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { cleanEnv, spawnNode } from '../helpers/spawn.js'
import { userJourney } from './journey.js'

t.test('embedded (npm start): the same journey with nothing installed but Node.js', async (t) => {
  const proc = spawnNode(resolve('packages/cli/dist/bin.js'), ['start'], cleanEnv({
    PORT: '0', DATA_DIR: mkdtempSync(join(tmpdir(), 'cv-e2e-embedded-')), LOG_LEVEL: 'warn', ALLOWED_ORIGINS: 'https://chat.example.com',
  }))
  t.teardown(() => { proc.child.kill('SIGKILL') })
  const [, gatewayUrl] = await proc.waitFor(/running at (http:\/\/127\.0\.0\.1:\d+)/)
  await userJourney(t, gatewayUrl!)
  proc.child.kill('SIGTERM')
  t.equal(await proc.exited, 0, 'stops cleanly')
})
