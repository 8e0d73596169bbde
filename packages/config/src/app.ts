import { EnvReader, type Env } from './reader.js'
import { readCommon, readIdentityTrust, readRequiredInProduction, type CommonConfig, type IdentityTrust } from './common.js'

export interface AppConfig extends CommonConfig {
  mongodbUri: string | undefined
  redisUrl: string | undefined
  vaultUrl: string
  authUrl: string
  llm: { baseUrl: string | undefined; apiKey: string | undefined; model: string }
  imageProxyAllowHosts: string[]
  identity: IdentityTrust
}

export function loadAppConfig(env: Env = process.env): AppConfig {
  const r = new EnvReader(env)
  const c = readCommon(r, 'app', 3103)
  const config: AppConfig = {
    ...c,
    mongodbUri: readRequiredInProduction(r, c, 'MONGODB_URI', 'the embedded store is for development only'),
    redisUrl: readRequiredInProduction(r, c, 'REDIS_URL', 'chat events reach other app replicas through Redis'),
    vaultUrl: r.url('VAULT_URL', 'http://127.0.0.1:3102') ?? '',
    authUrl: r.url('AUTH_URL', 'http://127.0.0.1:3101') ?? '',
    llm: { baseUrl: r.url('LLM_BASE_URL', undefined), apiKey: r.raw('LLM_API_KEY'), model: r.string('LLM_MODEL', 'gpt-4o-mini') },
    imageProxyAllowHosts: r.list('IMAGE_PROXY_ALLOW_HOSTS'),
    identity: readIdentityTrust(r, c),
  }
  r.finish('app')
  return config
}
