import { test } from 'node:test';
import assert from 'node:assert/strict';
import { entropy } from '../../../lib/packet/dns.ts';

test('entropy: bits per character, exact for simple names, no state carried between calls', () => {
  assert.equal(entropy(''), 0);
  assert.equal(entropy('aaaa'), 0);
  assert.equal(entropy('aabb'), 1);
  assert.equal(entropy('abcd'), 2);
  // A name with characters beyond Latin-1 (an IDN before punycode) and the same again.
  const idn = 'b\u00fccher.\u4f8b\u4f8b';
  const expected = -[1, 1, 1, 1, 1, 1, 1, 2].reduce((h, n) => h + (n / 9) * Math.log2(n / 9), 0);
  assert.ok(Math.abs(entropy(idn) - expected) < 1e-12);
  assert.equal(entropy(idn), entropy(idn));
  assert.equal(entropy('abcd'), 2, 'counts from earlier calls do not leak');
});
