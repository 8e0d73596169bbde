/* eslint-disable @typescript-eslint/no-explicit-any -- rendered YAML is untyped; the assertions below check its shape */
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { parseAllDocuments, parse } from 'yaml'
import { Deployment } from 'kubernetes-models/apps/v1'
import { Service, ConfigMap, Secret } from 'kubernetes-models/v1'
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2'
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1'
import { NetworkPolicy, Ingress } from 'kubernetes-models/networking.k8s.io/v1'

type Obj = { kind: string; metadata: { name: string; namespace?: string }; spec?: Record<string, unknown> } & Record<string, unknown>

function kustomize(): string | undefined {
  for (const c of [process.env['KUSTOMIZE_BIN'], join(homedir(), 'go/bin/kustomize')]) if (c && existsSync(c)) return c
  return spawnSync('sh', ['-c', 'command -v kustomize'], { encoding: 'utf8' }).stdout.trim() || undefined
}

// Schemas of the Kubernetes API (kubernetes-models, offline): validate() throws on any violation.
const models: Record<string, new (o: never) => { validate(): void }> = {
  Deployment, Service, ConfigMap, Secret, HorizontalPodAutoscaler, PodDisruptionBudget, NetworkPolicy, Ingress,
} as never

t.test('the production overlay renders and every object passes the Kubernetes schemas', async (t) => {
  const bin = kustomize()
  if (!bin) {
    if (process.env['CI'] === 'true') t.fail('kustomize is missing (.ci/kustomize.sh provides it)')
    else t.comment('skipping: kustomize not found (bash .ci/kustomize.sh builds it)')
    return
  }
  const rendered = spawnSync(bin, ['build', 'deploy/k8s/overlays/production'], { encoding: 'utf8' })
  t.equal(rendered.status, 0, rendered.stderr)
  const objs = parseAllDocuments(rendered.stdout).map((d) => d.toJSON() as Obj)
  const byKind = (kind: string) => objs.filter((o) => o.kind === kind)
  for (const o of objs) {
    const Model = models[o.kind]
    t.ok(Model, `${o.kind} is a kind we expect`)
    if (Model) t.doesNotThrow(() => new Model(o as never).validate(), `${o.kind}/${o.metadata.name} is valid`)
    t.equal(o.metadata.namespace, 'claraverse', `${o.kind}/${o.metadata.name} in the overlay's namespace`)
  }

  const deployments = byKind('Deployment') as unknown as Array<{ metadata: { name: string }; spec: { replicas: number; template: { metadata?: { annotations?: Record<string, string> }; spec: Record<string, any> } } }>
  t.same(deployments.map((d) => d.metadata.name).sort(), ['app', 'auth', 'gateway', 'vault'])
  for (const d of deployments) {
    const pod = d.spec.template.spec
    const c = pod['containers'][0]
    t.equal(pod['securityContext'].runAsNonRoot, true, `${d.metadata.name}: runAsNonRoot`)
    t.equal(c.securityContext.readOnlyRootFilesystem, true, `${d.metadata.name}: read-only root`)
    t.same(c.securityContext.capabilities.drop, ['ALL'], `${d.metadata.name}: capabilities dropped`)
    t.equal(c.livenessProbe.httpGet.path, '/health')
    t.equal(c.readinessProbe.httpGet.path, '/ready')
    t.ok(c.resources.requests.cpu && c.resources.requests.memory && c.resources.limits.memory, `${d.metadata.name}: resources`)
    t.match(c.image, /^registry\.example\.com\/claraverse-gateway:0\.1\.0$/, 'the overlay pins the image')
    t.same(c.args, [d.metadata.name])
    t.ok(c.ports.some((p: any) => p.name === 'metrics' && p.containerPort === 9464), `${d.metadata.name}: metrics port`)
    t.equal(d.spec.template.metadata?.annotations?.['prometheus.io/scrape'], 'true', `${d.metadata.name}: scraped`)
    for (const e of c.env as Array<{ name: string; value?: string }>) {
      if (/SECRET|MASTER_KEY|SIGNING_KEY|MONGODB_URI|API_KEY/.test(e.name)) t.notOk('value' in e, `${d.metadata.name}.${e.name} comes from the Secret`)
    }
  }
  t.equal(deployments.find((d) => d.metadata.name === 'gateway')?.spec.replicas, 3, 'production patch applied')
  t.same(byKind('HorizontalPodAutoscaler').map((h) => (h.spec?.['scaleTargetRef'] as { name: string }).name).sort(), ['app', 'gateway'])
  t.equal(byKind('PodDisruptionBudget').length, 4)
  t.equal(byKind('Secret').length, 0, 'no Secret with values is rendered')
  const master = deployments.filter((d) => JSON.stringify(d).includes('ENCRYPTION_MASTER_KEY')).map((d) => d.metadata.name)
  t.same(master, ['vault'], 'only the vault is given the master key')

  const policies = byKind('NetworkPolicy') as unknown as Array<{ metadata: { name: string }; spec: any }>
  const scrape = policies.find((p) => p.metadata.name === 'metrics-scrape')
  t.same(scrape?.spec.ingress[0].ports, [{ port: 9464 }], 'the monitoring namespace reaches the metrics port only')
  const deny = policies.find((p) => p.metadata.name === 'default-deny')
  t.same(deny?.spec.podSelector, {}, 'default deny for every pod')
  t.same(deny?.spec.policyTypes, ['Ingress', 'Egress'])
  const sources = (name: string) => policies.find((p) => p.metadata.name === name)?.spec.ingress
    .flatMap((r: any) => r.from.map((f: any) => f.podSelector?.matchLabels?.['app.kubernetes.io/name'] ?? `ns:${f.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name']}`)).sort()
  t.same(sources('vault'), ['app'], 'vault only from app')
  t.same(sources('auth'), ['app', 'gateway'])
  t.same(sources('app'), ['gateway'])
  t.same(sources('gateway'), ['ns:ingress-nginx'], 'gateway only from the ingress')
  t.same(sources('redis'), ['app', 'auth', 'gateway'])
  t.same(sources('mongodb'), ['app', 'auth'])
  t.same(policies.find((p) => p.metadata.name === 'vault')?.spec.egress, [], 'the vault reaches nothing')

  const ingress = byKind('Ingress')[0] as unknown as { spec: any; metadata: { annotations: Record<string, string> } }
  t.same([...new Set(ingress.spec.rules[0].http.paths.map((p: any) => p.backend.service.name))], ['gateway'], 'the ingress reaches the gateway only')
  t.equal(ingress.metadata.annotations['nginx.ingress.kubernetes.io/proxy-read-timeout'], '3600', 'long-lived WebSockets')
})

t.test('the Secret template has no real values', async (t) => {
  const secret = parse(readFileSync('deploy/k8s/base/secret.template.yaml', 'utf8')) as { stringData: Record<string, string> }
  t.doesNotThrow(() => new Secret(secret as never).validate())
  for (const [k, v] of Object.entries(secret.stringData)) if (k !== 'MONGODB_URI') t.match(v, /^REPLACE_WITH_/, k)
})
