import t from 'tap'
import { ipSubject } from '@claraverse/gateway'

t.test('rate-limit subjects: IPv4 as is, IPv6 per /64, mapped IPv4 unwrapped', async (t) => {
  t.equal(ipSubject('203.0.113.7'), '203.0.113.7')
  t.equal(ipSubject('::ffff:203.0.113.7'), '203.0.113.7')
  t.equal(ipSubject('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64')
  t.equal(ipSubject('2001:db8:1:2:ffff:ffff:ffff:ffff'), '2001:db8:1:2::/64', 'one /64, one counter')
  t.not(ipSubject('2001:db8:1:3::1'), ipSubject('2001:db8:1:2::1'))
})

t.test('a request whose client is already gone has no address: counted as unknown, not a TypeError', async (t) => {
  t.equal(ipSubject(undefined), 'unknown')
})
