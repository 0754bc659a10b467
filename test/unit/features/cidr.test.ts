import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CidrSet, ipBytes } from '../../../lib/features/cidr.ts';
import { TRAINING_DEFAULTS } from '../../../lib/config/stages.ts';

test('the default internal ranges: RFC 1918, loopback, IPv6 unique-local and link-local', () => {
  const internal = new CidrSet(TRAINING_DEFAULTS.internalCidrs);
  for (const ip of ['10.1.2.3', '172.16.0.1', '172.31.255.254', '192.168.1.1', '127.0.0.1', 'fd12::1', '::1', 'fe80::1']) assert.equal(internal.has(ip), true, ip);
  for (const ip of ['172.15.255.255', '172.32.0.0', '8.8.8.8', '2001:db8::1', 'fec0::1', 'not-an-ip', '']) assert.equal(internal.has(ip), false, ip);
});

test('answers stay right when asked again, and after the memo fills and is cleared', () => {
  const set = new CidrSet(['100.64.0.0/10']);
  // 70,000 distinct addresses (more than the memo holds), every other one inside.
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < 70_000; i++) {
      const inside = i % 2 === 0;
      const ip = `100.${(inside ? 64 : 128) + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;
      assert.equal(set.has(ip), inside, ip);
    }
  }
});

test('a bad range is refused, naming it', () => {
  assert.throws(() => new CidrSet(['10.0.0.0/33']), /internal CIDR "10.0.0.0\/33" is not a valid/);
  assert.throws(() => new CidrSet(['intranet/8']), /internal CIDR "intranet\/8"/);
});

test('ipBytes: IPv4, compressed IPv6 and IPv4-mapped IPv6', () => {
  assert.deepEqual([...ipBytes('192.0.2.7')!], [192, 0, 2, 7]);
  assert.deepEqual([...ipBytes('2001:db8::1')!], [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  assert.deepEqual([...ipBytes('::ffff:192.0.2.7')!].slice(10), [0xff, 0xff, 192, 0, 2, 7]);
  assert.equal(ipBytes('300.1.1.1'), null);
});
