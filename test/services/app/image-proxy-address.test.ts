import t from 'tap'
import type { LookupAddress } from 'node:dns'
import { request } from 'undici'
import {
  AllowList, cacheControl, checkTarget, createImageAgent, declaredImageType, guardedLookup, isPublicAddress, parseImageUrl, servedType, sniffRaster,
} from '../../../services/app/src/image-proxy/index.js'
import { GIF, PNG, startUpstream, tableLookup } from './image-proxy-upstream.js'

t.test('address policy: public unicast only', async (t) => {
  const open = [
    '8.8.8.8', '1.1.1.1', '93.184.216.34', '100.63.255.255', '100.128.0.0', '172.15.255.255', '172.32.0.0', '192.167.255.255', '192.169.0.0',
    '169.253.255.255', '169.255.0.0', '198.17.255.255', '198.20.0.0', '223.255.255.255', '11.0.0.0', '126.255.255.255', '128.0.0.0',
    '2606:4700:4700::1111', '2a00:1450:4001::200e', '2001:4860:4860::8888', '::ffff:8.8.8.8', '::ffff:808:808', '64:ff9b::808:808', '2002:808:808::1',
  ]
  const closed = [
    '0.0.0.0', '0.1.2.3', '10.0.0.1', '10.255.255.255', '100.64.0.0', '100.127.255.255', '127.0.0.1', '127.255.255.255', '169.254.0.1',
    '169.254.169.254', '172.16.0.0', '172.31.255.255', '192.0.0.8', '192.0.2.1', '192.88.99.1', '192.168.0.1', '198.18.0.1', '198.19.255.255',
    '198.51.100.1', '203.0.113.1', '224.0.0.1', '239.255.255.250', '240.0.0.1', '255.255.255.255',
    '::', '::1', '::127.0.0.1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:10.0.0.1', '::ffff:169.254.169.254', '::ffff:0:7f00:1',
    '64:ff9b::7f00:1', '64:ff9b::a00:1', '64:ff9b:1::808:808', '2002:7f00:1::', '2002:a9fe:a9fe::1', '2002:c0a8:101::1', '100::1',
    'fc00::1', 'fd00:ec2::254', 'fe80::1', 'fe80::1%eth0', 'febf::1', 'fec0::1', 'ff02::1', 'ff0e::1', '2001::1', '2001:0:4136:e378::1',
    '2001:2::1', '2001:db8::1', '3fff::1', '5f00::1', '4000::1',
    // not addresses at all: refused, never guessed at
    '', 'localhost', 'example.com', '1.2.3', '1.2.3.4.5', '01.2.3.4', '256.1.1.1', '0x7f.1', '2130706433', '::ffff:999.0.0.1', '1::2::3', ':::',
  ]
  for (const a of open) t.ok(isPublicAddress(a), `${a} is public`)
  for (const a of closed) t.notOk(isPublicAddress(a), `${a} is refused`)
})

t.test('the URL parser normalises other IPv4 spellings before the policy sees them', async (t) => {
  const spellings: Array<[string, string]> = [
    ['http://2130706433/', '127.0.0.1'], ['http://0177.0.0.1/', '127.0.0.1'], ['http://0x7f.1/', '127.0.0.1'], ['http://0x7f000001/', '127.0.0.1'],
    ['http://017700000001/', '127.0.0.1'], ['http://127.1/', '127.0.0.1'], ['http://0/', '0.0.0.0'], ['http://0xa9fea9fe/', '169.254.169.254'],
    ['http://[::ffff:127.0.0.1]/', '[::ffff:7f00:1]'], ['http://[0:0:0:0:0:0:0:1]/', '[::1]'], ['http://LocalHost./', 'localhost.'],
  ]
  for (const [url, host] of spellings) t.equal(parseImageUrl(url).hostname, host, url)
})

t.test('target checks: scheme, credentials, IP literals and local names', async (t) => {
  const allow = new AllowList(['127.0.0.1:8080', 'images.test'])
  const code = (url: string): string | undefined => {
    try {
      checkTarget(parseImageUrl(url), allow)
      return undefined
    } catch (err) {
      return (err as { code?: string }).code
    }
  }
  t.equal(code('http://127.0.0.1:8080/a.png'), undefined, 'allowlisted origin')
  t.equal(code('http://2130706433:8080/a.png'), undefined, 'same origin, another spelling')
  t.equal(code('http://127.0.0.1:8081/a.png'), 'APP_IMAGE_ADDRESS_BLOCKED')
  t.equal(code('http://127.0.0.1/a.png'), 'APP_IMAGE_ADDRESS_BLOCKED')
  t.equal(code('http://images.test:1234/a.png'), undefined)
  t.equal(code('http://example.com/a.png'), undefined, 'names are judged at connect time')
  t.equal(code('https://[2606:4700::1111]/a.png'), undefined)
  t.equal(code('http://a.localhost/'), 'APP_IMAGE_ADDRESS_BLOCKED')
  t.equal(code('ftp://example.com/a.png'), 'APP_IMAGE_INVALID_URL')
  t.equal(code('http://u:p@127.0.0.1:8080/a.png'), 'APP_IMAGE_INVALID_URL', 'credentials refused even for allowed origins')
  t.throws(() => parseImageUrl('relative/path.png'), { code: 'APP_IMAGE_INVALID_URL' })
})

t.test('allow list entries', async (t) => {
  const allow = new AllowList([' 127.0.0.1:80 ', 'CDN.Example.com', '[::1]:8443', '2130706433:9000', '', '[fd00::1]'])
  t.ok(allow.permits('127.0.0.1', 80))
  t.notOk(allow.permits('127.0.0.1', 81), 'host:80 is not widened to any port')
  t.ok(allow.permits('cdn.example.com', 1234), 'a bare host allows any port')
  t.ok(allow.permits('::1', 8443))
  t.notOk(allow.permits('::1', 443))
  t.ok(allow.permits('127.0.0.1', 9000), 'entries are normalised like URLs')
  t.ok(allow.permits('fd00::1', 1))
  t.notOk(allow.permits('evil.example.com', 80))
  t.notOk(allow.permits('cdn.example.com.', 80), 'a trailing-dot variant is not the same entry (and is then checked normally)')
  t.ok(allow.permitsUrl(new URL('https://cdn.example.com/x.png')))
  t.ok(allow.permitsUrl(new URL('http://127.0.0.1/x.png')), 'default port 80')
  for (const bad of ['http://example.com/', 'example.com/x', '::1', 'example.com:0', 'example.com:65536', 'user@example.com', 'example.com:abc', '*.example.com', '[nothex]']) {
    t.throws(() => new AllowList([bad]), /IMAGE_PROXY_ALLOW_HOSTS/, `"${bad}" refused at boot`)
  }
})

t.test('guarded lookup: every resolved address must be public', async (t) => {
  const base = tableLookup({
    'public.test': ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'],
    'private.test': ['10.0.0.5'],
    'mixed.test': ['93.184.216.34', '10.0.0.5'],
    'v6private.test': ['fd00::5'],
  })
  const guarded = guardedLookup(base)
  const ask = (name: string, all: boolean): Promise<{ err: NodeJS.ErrnoException | null; answer: string | LookupAddress[]; family: number | undefined }> =>
    new Promise((resolve) => { guarded(name, { all }, (err, answer, family) => { resolve({ err, answer, family }) }) })

  const many = await ask('public.test', true)
  t.equal(many.err, null)
  t.same(many.answer, [{ address: '93.184.216.34', family: 4 }, { address: '2606:2800:220:1:248:1893:25c8:1946', family: 6 }])
  const one = await ask('public.test', false)
  t.same([one.err, one.answer, one.family], [null, '93.184.216.34', 4], 'single-answer form for callers without `all`')
  for (const name of ['private.test', 'mixed.test', 'v6private.test']) {
    for (const all of [true, false]) t.equal((await ask(name, all)).err?.code, 'APP_IMAGE_ADDRESS_BLOCKED', `${name} (all: ${String(all)})`)
  }
  t.equal((await ask('unknown.test', true)).err?.code, 'ENOTFOUND', 'resolution failures pass through')

  // A lookup that only answers in the single-address form is handled too.
  const single = guardedLookup((_host, _opts, cb) => { process.nextTick(() => { cb(null, '127.0.0.1', 4) }) })
  const err = await new Promise((resolve) => { single('x.test', {}, (e) => { resolve(e?.code) }) })
  t.equal(err, 'APP_IMAGE_ADDRESS_BLOCKED')
})

t.test('the agent itself refuses blocked peers, whatever reaches it', async (t) => {
  // Below the URL checks: even a request sent straight to the agent cannot reach a blocked address.
  const allowed = await startUpstream(t)
  const canary = await startUpstream(t)
  const lookup = tableLookup({ 'loop.test': ['127.0.0.1'], 'ok.test': ['127.0.0.1'] })
  const agent = createImageAgent({ allow: new AllowList([`127.0.0.1:${allowed.port}`, `ok.test:${canary.port}`]), lookup, timeoutMs: 2000 })
  t.teardown(() => agent.close())
  const get = (url: string): Promise<unknown> => request(url, { dispatcher: agent }).then(async (res) => { await res.body.dump(); return res.statusCode })

  t.equal(await get(`${allowed.origin}/img.png`), 200)
  for (const url of [`http://127.0.0.1:${canary.port}/`, `http://[::ffff:127.0.0.1]:${canary.port}/`, `http://loop.test:${canary.port}/`, `http://localhost:${canary.port}/`]) {
    await t.rejects(get(url), { code: 'APP_IMAGE_ADDRESS_BLOCKED' }, url)
  }
  t.equal(canary.connections, 0, 'no connection was opened to the blocked peer')
  t.equal(lookup.calls.filter((n) => n === 'loop.test').length, 1, 'the name was resolved once, by the connection itself')
  t.equal(await get(`http://ok.test:${canary.port}/img.png`), 200, 'an allowlisted name connects through the injected lookup')
})

t.test('image types: declared types and signatures', async (t) => {
  t.equal(declaredImageType('IMAGE/PNG; charset=binary'), 'image/png')
  t.equal(declaredImageType('image/jpg'), 'image/jpeg')
  t.equal(declaredImageType('image/vnd.microsoft.icon'), 'image/x-icon')
  for (const bad of [undefined, '', 'text/html', 'image/svg', 'image/tiff', 'application/octet-stream', 'image/png+html']) t.equal(declaredImageType(bad), undefined, String(bad))

  const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10])
  const webp = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WEBPVP8 ')])
  const avif = Buffer.concat([Buffer.from([0, 0, 0, 0x1c]), Buffer.from('ftypmif1'), Buffer.alloc(4), Buffer.from('mif1avifmiaf')])
  const bmp = Buffer.alloc(30)
  bmp.write('BM', 0, 'latin1')
  bmp.writeUInt32LE(40, 14)
  const ico = Buffer.from([0, 0, 1, 0, 1, 0, 16, 16])
  t.equal(sniffRaster(PNG), 'image/png')
  t.equal(sniffRaster(jpeg), 'image/jpeg')
  t.equal(sniffRaster(GIF), 'image/gif')
  t.equal(sniffRaster(webp), 'image/webp')
  t.equal(sniffRaster(avif), 'image/avif')
  t.equal(sniffRaster(bmp), 'image/bmp')
  t.equal(sniffRaster(ico), 'image/x-icon')
  t.equal(sniffRaster(Buffer.from('BMW is a car, not a bitmap header')), undefined)
  t.equal(sniffRaster(Buffer.from('<html>')), undefined)
  t.equal(sniffRaster(Buffer.alloc(0)), undefined)

  t.equal(servedType('image/jpeg', PNG), 'image/png', 'the bytes decide between image formats')
  t.equal(servedType('image/svg+xml', Buffer.from('\uFEFF  <svg xmlns="http://www.w3.org/2000/svg"/>')), 'image/svg+xml')
  t.equal(servedType('image/svg+xml', Buffer.from('<html><body>hi</body></html>')), undefined)
  t.equal(servedType('image/png', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>')), undefined, 'SVG only when declared')
})

t.test('cache-control: a day, or less when the upstream says so', async (t) => {
  t.equal(cacheControl(undefined), 'public, max-age=86400')
  t.equal(cacheControl('max-age=120'), 'public, max-age=120')
  t.equal(cacheControl('max-age="120"'), 'public, max-age=120')
  t.equal(cacheControl('public, max-age=31536000, immutable'), 'public, max-age=86400')
  t.equal(cacheControl('max-age=0'), 'public, max-age=0')
  t.equal(cacheControl('max-age=-5'), 'public, max-age=86400')
  t.equal(cacheControl('No-Store'), 'no-store')
  t.equal(cacheControl('private'), 'private, max-age=86400')
})
