// A bounded slice of `npm run fuzz` (test/fuzz/): mutated captures through the reader and
// decoder, every packet accounted for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASES, checkCase, fuzz } from '../../fuzz/captures.ts';

test('the clean bases read whole', () => {
  for (const b of BASES) assert.deepEqual(checkCase(b), { packets: 300, damaged: false, notACapture: false });
});

test('fuzz slice: 200 k packets of mutated captures, no crash, every packet decoded or skipped with a reason', () => {
  const r = fuzz({ packets: 200_000, seed: 42, maxMs: 60_000 });
  assert.ok(r.packets >= 200_000, JSON.stringify(r));
  assert.ok(r.damaged > 0 && r.notACapture > 0, `mutations reach damage and broken headers: ${JSON.stringify(r)}`);
});
