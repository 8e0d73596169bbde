import t from 'tap'
import { readFileSync, mkdtempSync, writeFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse } from 'yaml'
import { loadAppConfig, loadAuthConfig, loadGatewayConfig, loadVaultConfig } from '@claraverse/config'
import { parseEnvFile } from '@claraverse/cli'

interface Service {
  image?: string
  command?: string[]
  ports?: string[]
  environment?: Record<string, string>
  networks?: string[]
  depends_on?: Record<string, { condition: string }>
  healthcheck?: unknown
  container_name?: string
  read_only?: boolean
  cap_drop?: string[]
  build?: unknown
}

const raw = readFileSync('docker-compose.yml', 'utf8')
const compose = parse(raw, { merge: true }) as { services: Record<string, Service>; networks: Record<string, { internal?: boolean }> }
const s = compose.services

t.test('compose: the parts, the images the guide names, and only the gateway published', async (t) => {
  t.same(Object.keys(s).sort(), ['app', 'auth', 'gateway', 'mongo', 'redis', 'vault'])
  t.equal(s['mongo']?.image, 'mongo:7')
  t.equal(s['redis']?.image, 'redis:7-alpine')
  t.equal(s['redis']?.container_name, 'claraverse-redis', 'so `docker exec -it claraverse-redis redis-cli …` works')
  const redisArgs = (s['redis'] as { command?: string[] } | undefined)?.command ?? []
  t.equal(redisArgs[redisArgs.indexOf('--appendonly') + 1], 'yes', 'revocation records survive a Redis restart')
  t.match((s['redis'] as { volumes?: string[] } | undefined)?.volumes, ['redis-data:/data'], 'on a volume')
  for (const [name, svc] of Object.entries(s)) {
    if (name === 'gateway') t.same(svc.ports, ['${GATEWAY_PORT:-3001}:3001'])
    else t.notOk(svc.ports, `${name} publishes no port`)
  }
  t.match(raw, /# {3}- "27017:27017"/, 'database ports present but commented out')
  t.match(raw, /# {3}- "6379:6379"/)
})

t.test('compose: the vault is reachable from the app only', async (t) => {
  t.same(s['vault']?.networks, ['vault'])
  t.equal(compose.networks['vault']?.internal, true)
  const onVaultNet = Object.entries(s).filter(([, svc]) => svc.networks?.includes('vault')).map(([n]) => n).sort()
  t.same(onVaultNet, ['app', 'vault'])
  const onData = Object.entries(s).filter(([, svc]) => svc.networks?.includes('data')).map(([n]) => n).sort()
  t.same(onData, ['app', 'auth', 'mongo'], 'MongoDB only for the services that use it')
  t.notOk(s['gateway']?.networks?.includes('data'))
})

t.test('compose: health checks, start order, hardening, no secret values', async (t) => {
  for (const name of ['mongo', 'redis']) t.ok(s[name]?.healthcheck, `${name} has a health check`)
  t.match(readFileSync('deploy/Dockerfile', 'utf8'), /HEALTHCHECK .*healthcheck\.mjs/, 'the services\' image has one')
  t.same(Object.keys(s['gateway']?.depends_on ?? {}).sort(), ['app', 'auth', 'redis'])
  t.same(s['app']?.depends_on?.['vault'], { condition: 'service_healthy' })
  for (const name of ['gateway', 'auth', 'vault', 'app']) {
    t.equal(s[name]?.read_only, true, `${name}: read-only root`)
    t.same(s[name]?.cap_drop, ['ALL'], `${name}: no capabilities`)
    t.same(s[name]?.command, [name], `${name}: one image, the part chosen by command`)
    for (const [k, v] of Object.entries(s[name]?.environment ?? {})) {
      if (/SECRET|MASTER_KEY|SIGNING_KEY|API_KEY/.test(k)) t.match(v, /^\$\{/, `${name}.${k} comes from .env`)
    }
  }
  t.equal(s['vault']?.environment?.['ENCRYPTION_MASTER_KEY']?.includes(':?'), true, 'a missing master key stops compose')
  t.notOk(s['gateway']?.environment?.['ENCRYPTION_MASTER_KEY'], 'the master key goes to the vault only')
  t.notOk(s['app']?.environment?.['JWT_SECRET'], 'the app needs no token secret')
})

t.test('.env.example lists every variable, and a filled one passes the production doctor', async (t) => {
  const example = parseEnvFile(readFileSync('.env.example', 'utf8'))
  const seen = new Set<string>()
  const env = new Proxy({} as Record<string, string | undefined>, {
    get(_t, name) {
      if (typeof name === 'string') seen.add(name)
      return name === 'DATA_DIR' ? mkdtempSync(join(tmpdir(), 'cv-env-')) : undefined
    },
  })
  loadGatewayConfig(env).superadmins()
  loadAuthConfig(env)
  loadVaultConfig(env)
  loadAppConfig(env)
  // Set per container by compose itself, not by the operator.
  const byCompose = new Set(['ENVIRONMENT', 'HOST', 'PORT', 'METRICS_PORT', 'DATA_DIR', 'MONGODB_URI', 'REDIS_URL', 'AUTH_URL', 'APP_URL', 'VAULT_URL', 'IDENTITY_JWKS_URL'])
  for (const name of seen) if (!byCompose.has(name)) t.ok(name in example, `.env.example has ${name}`)
  const secrets = spawnSync(process.execPath, ['packages/cli/dist/bin.js', 'secrets'], { encoding: 'utf8' }).stdout
  const dir = mkdtempSync(join(tmpdir(), 'cv-env-'))
  const filled = join(dir, '.env')
  writeFileSync(filled, `${readFileSync('.env.example', 'utf8')}\n${secrets}MONGODB_URI=mongodb://mongo:27017\nREDIS_URL=redis://claraverse-redis:6379\n`)
  const doctor = spawnSync(process.execPath, ['packages/cli/dist/bin.js', 'doctor', '--env-file', filled], { encoding: 'utf8' })
  t.equal(doctor.status, 0, doctor.stdout)
})

t.test('the image: multi-stage, non-root, one entry for every part', async (t) => {
  const docker = readFileSync('deploy/Dockerfile', 'utf8')
  t.equal((docker.match(/^FROM /gm) ?? []).length, 2, 'build and runtime stages')
  t.match(docker, /npm prune --omit=dev/, 'no dev dependencies in the runtime')
  t.match(docker, /^USER node$/m)
  t.notMatch(docker, /JWT_SECRET|ENCRYPTION_MASTER_KEY=/, 'no secrets baked in')
  t.match(readFileSync('.dockerignore', 'utf8'), /^\.env$/m)
  for (const part of ['gateway', 'auth', 'vault', 'app']) {
    t.match(readFileSync('deploy/start.mjs', 'utf8'), new RegExp(`${part}: '\\.\\./`), part)
  }
  const bad = spawnSync(process.execPath, ['deploy/start.mjs', 'database'], { encoding: 'utf8' })
  t.equal(bad.status, 64)
  t.match(bad.stderr, /unknown service "database"/)
})

t.test('nginx example: TLS, upgrade headers for /ws/, client IP replaced, long WebSocket timeouts', async (t) => {
  const conf = readFileSync('deploy/nginx/claraverse.conf', 'utf8')
  t.match(conf, /listen 443 ssl/)
  t.match(conf, /location \/ws\/ \{[^}]*proxy_set_header Upgrade \$http_upgrade;[^}]*proxy_set_header Connection \$connection_upgrade;[^}]*proxy_read_timeout 1h;/s)
  t.match(conf, /location \/api\/ \{[^}]*proxy_set_header X-Forwarded-For \$remote_addr;/s)
  t.notMatch(conf, /\$proxy_add_x_forwarded_for/, 'appending would keep what the client wrote')
  const nginx = spawnSync('sh', ['-c', 'command -v nginx'])
  if (nginx.status !== 0) {
    t.comment('nginx not installed: syntax check skipped (apt-get install nginx-light)')
    return
  }
  // Syntax check with a throwaway certificate and paths.
  const dir = mkdtempSync(join(tmpdir(), 'cv-nginx-'))
  const openssl = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=test', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '1'])
  if (openssl.status !== 0) return
  const site = conf.replace('/etc/ssl/certs/yourdomain.pem', join(dir, 'c.pem')).replace('/etc/ssl/private/yourdomain.key', join(dir, 'k.pem'))
  writeFileSync(join(dir, 'site.conf'), site)
  writeFileSync(join(dir, 'nginx.conf'), `pid ${dir}/nginx.pid; error_log ${dir}/error.log; events {} http { client_body_temp_path ${dir}; proxy_temp_path ${dir}; include ${dir}/site.conf; }`)
  const check = spawnSync('nginx', ['-t', '-c', join(dir, 'nginx.conf'), '-p', dir], { encoding: 'utf8' })
  t.equal(check.status, 0, check.stderr)
})
