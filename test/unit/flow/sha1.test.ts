import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { sha1Base64 } from '../../../lib/flow/sha1.ts';

test('sha1Base64 equals node:crypto SHA-1 for every one-block length (0-55 bytes)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 55 }), (m) => {
      // Inside a larger buffer, as the caller's scratch is.
      const buf = new Uint8Array(64).fill(0xee);
      buf.set(m);
      assert.equal(sha1Base64(buf, m.length), createHash('sha1').update(m).digest('base64'));
    }),
    { numRuns: 2000, seed: 3 },
  );
  assert.equal(sha1Base64(new Uint8Array(0), 0), '2jmj7l5rSw0yVb/vlWAYkK/YBwk='); // SHA-1("")
});

test('a message longer than one block is refused', () => {
  assert.throws(() => sha1Base64(new Uint8Array(56), 56), /56 bytes do not fit one block/);
});
